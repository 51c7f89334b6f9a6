"""The HTML pages over plain HTTP (no browser needed): structure, negotiation, search, safety.

Same live server and data as the Chromium tests; these run everywhere, also where Chromium can't
be installed.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from tests.browser.conftest import KNOWN_WORK, KNOWN_WORK_PATH

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what browsers send


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, accept: str = HTML, follow: bool = True) -> tuple[int, dict[str, str], str]:
    opener = (urllib.request.build_opener() if follow
              else urllib.request.build_opener(_NoRedirect()))
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


class Outline(HTMLParser):
    """Collects what the structure tests look at: tags with attributes, script blocks, links."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script, self._text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(
            a.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]


def outline(body: str) -> Outline:
    parser = Outline()
    parser.feed(body)
    return parser


def referenced_urls(page: Outline) -> list[str]:
    urls = []
    for _tag, attrs in page.tags:
        for name in ("src", "href"):
            if name in attrs and _tag in ("script", "link", "img", "iframe", "source"):
                urls.append(attrs[name])
    return urls


def test_work_page_is_the_same_resource_negotiated_as_html(pages_server):
    status, headers, body = fetch(pages_server.url + KNOWN_WORK_PATH)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Accept" in headers.get("Vary", "")
    page = outline(body)
    assert page.find("html", lang="en")
    assert page.find("main", id="main") and page.find("nav") and page.find("header")
    assert len(page.find("h1")) == 1
    assert "A known work for the alm-ld page tests</h1>" in body
    assert "https://pubmed.ncbi.nlm.nih.gov/99999901" in body  # owl:sameAs
    for slug in ("viewed", "saved", "discussed", "cited", "recommended"):
        assert f'category-{slug}"' in body
    charts = [a for t, a in page.tags if t == "svg" and "chart" in a.get("class", "")]
    assert len(charts) == 3  # citations, html-views, readers
    assert all(c.get("role") == "img" and c.get("aria-labelledby") for c in charts)
    assert body.count("<title id=\"chart-") == 3 and body.count("<desc id=\"chart-") == 3
    assert "Data table" in body  # the chart's table fallback
    # alternates and the prepared query
    hrefs = [a.get("href", "") for a in page.find("a")]
    assert KNOWN_WORK_PATH + "?format=jsonld" in hrefs
    assert KNOWN_WORK_PATH + "?format=ttl" in hrefs
    assert any(h.startswith("/sparql?query=") and quote(KNOWN_WORK, safe="") in h for h in hrefs)
    # events with subject and licence
    assert "https://en.wikipedia.org/wiki/Example_article" in body
    assert "creativecommons.org/publicdomain/zero/1.0/" in body


def test_work_page_embeds_schema_org_interaction_counters(pages_server):
    _, _, body = fetch(pages_server.url + KNOWN_WORK_PATH)
    blocks = [text for attrs, text in outline(body).scripts
              if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    doc = json.loads(blocks[0])
    assert doc["@context"] == "http://schema.org/"
    assert doc["@type"] == "ScholarlyArticle" and doc["@id"] == KNOWN_WORK
    counters = {c["name"]: c for c in doc["interactionStatistic"]}
    assert counters["Citations (crossref)"]["userInteractionCount"] == 16
    assert all(c["@type"] == "InteractionCounter" for c in counters.values())
    views = next(c for n, c in counters.items() if n.startswith("HTML full-text views"))
    action = views["interactionType"]["@id"]  # the vocabulary's skos:closeMatch, via broader
    assert action.startswith("http://schema.org/") and action.endswith("Action")


def test_same_url_still_serves_linked_data(pages_server):
    status, headers, body = fetch(pages_server.url + KNOWN_WORK_PATH, accept="text/turtle")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert "<html" not in body


def test_pages_reference_only_their_own_server(pages_server):
    for path in ("/", KNOWN_WORK_PATH, "/sparql", "/sources"):
        status, _, body = fetch(pages_server.url + path)
        assert status == 200, path
        for url in referenced_urls(outline(body)):
            parts = urlsplit(url)
            assert parts.scheme in ("", "data") and not parts.netloc, (path, url)
        assert "@import" not in body and "fonts.googleapis" not in body


def test_static_assets_and_vendored_editor_are_served_with_their_licence(pages_server):
    for path in ("/static/css/site.css", "/static/js/sparql-editor.js",
                 "/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.css"):
        status, _, _ = fetch(pages_server.url + path, accept="*/*")
        assert status == 200, path


def test_search_redirects_any_spelling_to_the_canonical_work(pages_server):
    for spelling in ("10.1371/JOURNAL.PONE.0000001", "doi:10.1371/journal.pone.0000001",
                     "https://doi.org/10.1371/Journal.Pone.0000001",
                     "pmid:99999901"):  # an alternate identifier (owl:sameAs) of the work
        status, headers, _ = fetch(pages_server.url + "/search?id=" + quote(spelling),
                                   follow=False)
        assert status == 303, spelling
        assert headers["Location"].endswith(KNOWN_WORK_PATH)


def test_search_explains_unknown_and_malformed_identifiers(pages_server):
    status, _, body = fetch(pages_server.url + "/search?id=" + quote("10.9999/nothing.here"))
    assert status == 404 and 'role="alert"' in body and "No metrics are stored" in body
    status, _, body = fetch(pages_server.url + "/search?id=" + quote("<script>x</script>"))
    assert status == 400 and "Accepted forms" in body
    assert "<script>x</script>" not in body  # echoed safely
    status, _, body = fetch(pages_server.url + "/search?id=")
    assert status == 400 and "Type an identifier" in body


def test_home_shows_statistics_and_links(pages_server):
    status, _, body = fetch(pages_server.url + "/")
    assert status == 200
    page = outline(body)
    assert page.find("form", role="search", action="/search")
    assert page.find("label", for_="work-id") and page.find("input", id="work-id")
    assert re.search(r'id="stat-works">\s*3\s*<', body)  # two DOIs + the citing work
    assert re.search(r'id="stat-observations">\s*11\s*<', body)
    hrefs = {a.get("href") for a in page.find("a")}
    for link in ("/sparql", "/sources", "/changes", "/vocab", "/openapi.json"):
        assert link in hrefs, link


def test_sparql_editor_is_served_to_browsers_and_results_to_clients(pages_server):
    status, headers, body = fetch(pages_server.url + "/sparql")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = outline(body)
    bundle = r"/static/vendor/yasgui/yasgui\.min\.[0-9a-f]{12}\.js"  # fingerprinted (assets.py)
    assert any(re.fullmatch(bundle, s.get("src", "")) for s in page.find("script"))
    config = json.loads(next(t for a, t in page.scripts if a.get("id") == "sparql-config"))
    assert config["endpoint"] == "/sparql"
    assert {e["slug"] for e in config["examples"]} >= {"top-cited", "work-series", "co-cited",
                                                        "alerts"}
    query = "SELECT ?w WHERE { ?o <https://w3id.org/alm-ld/vocab#work> ?w }"
    status, _, body = fetch(pages_server.url + "/sparql?query=" + quote(query))
    assert status == 200 and json.loads(next(
        t for a, t in outline(body).scripts if a.get("id") == "sparql-config"))["query"] == query
    status, headers, body = fetch(pages_server.url + "/sparql?query=" + quote(query),
                                  accept="application/sparql-results+json")
    assert status == 200 and json.loads(body)["results"]["bindings"]


def test_example_queries_run_on_the_endpoint(pages_server):
    from alm_ld.web.pages.examples import examples

    for example in examples(KNOWN_WORK):
        status, _, body = fetch(pages_server.url + "/sparql?query=" + quote(example.query),
                                accept="application/sparql-results+json")
        assert status == 200, (example.slug, body[:300])
        rows = json.loads(body)["results"]["bindings"]
        if example.slug in ("top-cited", "citations-per-source", "work-series", "co-cited",
                            "sources"):
            assert rows, example.slug


def test_sources_page_lists_every_source(pages_server):
    status, _, body = fetch(pages_server.url + "/sources")
    assert status == 200
    for source in ("crossref", "opencitations", "pmc", "mendeley", "wikipedia"):
        assert f'data-source="{source}"' in body, source


def test_a_work_known_only_from_events_still_has_a_page(pages_server):
    status, _, body = fetch(pages_server.url + "/works/10.5555/citing.0001")
    assert status == 200
    assert "No counts are stored for this work yet." in body
    assert 'class="chart"' not in body


def test_unknown_work_is_not_found_and_markup_in_ids_is_never_echoed_as_html(pages_server):
    status, headers, body = fetch(pages_server.url + "/works/10.9999/" + quote("<b>x</b>",
                                                                               safe=""))
    assert status in (400, 404)
    assert headers["Content-Type"].startswith("application/problem+json") or (
        "<b>x</b>" not in body)
