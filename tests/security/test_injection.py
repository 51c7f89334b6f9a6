"""Injection through work and feed ids (issue 12, item 2), against the real served process.

A work id reaches SPARQL text on every read route. Before the fix a URL-form id was pasted into
queries between ``<`` and ``>``: ``…a>}UNION{} SERVICE<url>{?a?b?c}}#x`` closed the IRI, added
a SERVICE clause (the server fetched the URL) and answered 200 for a work that does not exist.
Now an id either parses into a valid RFC 3987 IRI (then the answer is 404 when nothing is known
about it) or is refused with 400; nothing answers 200, 5xx, or touches the canary.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROBLEM = "application/problem+json"

# Read routes that take an id in the path ({} is the percent-encoded id) or the query string.
ID_ROUTES = ("/works/{}", "/works/{}/metrics", "/works/{}/related", "/feeds/{}")
QUERY_ROUTES = ("/alerts?work={}", "/works/{}?format=ttl", "/works/{}/metrics?format=csv")


def exploit(target: str, breaker: str = ">") -> str:
    """The id of the report, verbatim: close the IRI, open a SERVICE clause to ``target``."""
    return f"https://e.org/a{breaker}}}UNION{{}} SERVICE<{target}>{{?a?b?c}}}}#x"


def path_of(route: str, work_id: str) -> str:
    return route.format(quote(work_id, safe=""))


def assert_refused(response, work_id: str) -> None:
    """400 naming the value, or 404: never 200 for a work that does not exist, never 5xx.

    ``/alerts?work=`` filters a collection: a valid but unknown work gives an empty list."""
    if response.status_code == 200 and response.url.split("?")[0].endswith("/alerts"):
        assert response.json()["alerts"] == []
        return
    assert response.status_code in (400, 404), (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers
    problem = response.json()
    assert problem["status"] == response.status_code
    if response.status_code == 400 and _is_text(work_id):
        shown = work_id[:40]
        assert (shown in problem["detail"] or repr(work_id)[1:40] in problem["detail"]
                or problem.get("value", "").startswith(work_id[:40])), problem


def _is_text(value: str) -> bool:
    """Ids that are not UTF-8 text reach the server as replacement characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_the_reported_exploit_is_refused_and_fetches_nothing(served, canary) -> None:
    work_id = exploit(canary.url)
    response = served.get(
        "/works/https%3A%2F%2Fe.org%2Fa%3E%7DUNION%7B%7D%20SERVICE%3C"
        + quote(canary.url, safe="") + "%3E%7B%3Fa%3Fb%3Fc%7D%7D%23x/metrics")
    assert_refused(response, work_id)
    assert response.status_code == 400
    canary.assert_untouched()


@pytest.mark.parametrize("breaker", [">", "}", '"', "\\", "|", "^", "`", "{", "<", " ",
                                     "\x00", "\x01", "\x1f", "\x7f", "\x85", "\u2028", "[", "]"])
@pytest.mark.parametrize("route", ID_ROUTES)
def test_every_iri_breaker_on_every_id_route(served, canary, route: str, breaker: str) -> None:
    work_id = exploit(canary.url, breaker)
    response = served.get(path_of(route, work_id))
    assert_refused(response, work_id)
    if route.startswith("/works/") or breaker in "\x7f\x85":
        assert response.status_code == 400
    # /feeds/{id} looks a feed up under the stored form of its id (characters browsers escape
    # percent-encoded, as ingest stores them): the exploit text becomes an unknown id, 404.
    canary.assert_untouched()


@pytest.mark.parametrize("work_id", [
    "https://e.org/a%00",            # a valid IRI (an escaped NUL): unknown, so 404
    "https://e.org/a%zz",            # a malformed escape: 400
    "https://e[.org/x",              # a malformed host (was 500)
    "https://e.org:port/x",          # a port that is not a number
    "https://a\uff0fb.org/x",        # a host that NFKC-normalises to a '/'
    "https://e.org/\ud800",          # not text at all
    "urn:uuid:\x12",                 # a control character
    "10.1234/abc>}UNION{}",          # a DOI may hold these: percent-encoded into its IRI, 404
    "doi:10.1234/" + "x" * 5000,     # long: 404 or 400, never 5xx
])
@pytest.mark.parametrize("route", ID_ROUTES + QUERY_ROUTES)
def test_malformed_and_unknown_ids(served, canary, route: str, work_id: str) -> None:
    encoded = quote(work_id, safe="", errors="surrogatepass")
    response = served.get(route.format(encoded))
    assert_refused(response, work_id)
    canary.assert_untouched()


def test_a_known_work_still_answers(served) -> None:
    for route in ("/works/10.7717/peerj.4375", "/works/10.7717/peerj.4375/metrics",
                  "/works/10.5439/1021460/related"):
        assert served.get(route).status_code == 200, route


def test_the_html_page_refuses_the_exploit_too(served, canary) -> None:
    response = served.get(path_of("/works/{}", exploit(canary.url)),
                          headers={"Accept": "text/html"})
    assert response.status_code == 400
    canary.assert_untouched()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(work_id=st.one_of(
    st.text(max_size=60),
    st.builds(lambda a, b: f"https://{a}.org/{b}", st.text(max_size=12), st.text(max_size=30)),
    st.builds(lambda b: f"10.1234/{b}", st.text(max_size=30)),
    st.builds(lambda b, c: f"urn:{b}:{c}", st.text(max_size=10), st.text(max_size=20)),
), route=st.sampled_from(ID_ROUTES + QUERY_ROUTES))
def test_random_ids_never_5xx_and_never_fetch(served, canary, work_id: str, route: str) -> None:
    encoded = quote(work_id, safe="", errors="surrogatepass")
    response = served.get(route.format(encoded), timeout=30)
    assert response.status_code < 500, (work_id, response.status_code, response.text[:300])
    if response.status_code == 200 and route.startswith("/alerts"):
        assert response.json()["alerts"] == [], work_id
    else:
        assert response.status_code != 200 or _names_a_real_work(served, work_id), work_id
    canary.assert_untouched()


def _names_a_real_work(served, work_id: str) -> bool:
    """A random id that answered 200 must be a stored work (random text almost never is)."""
    return served.get("/works/" + quote(work_id, safe="")).status_code in (200, 303)
