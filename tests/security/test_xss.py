"""Stored XSS: what a provider feed stores can never become script, markup or a dangerous link.

A real ``alm-ld serve --demo`` takes feeds (``POST /feeds`` with the bearer token) whose events
and counts carry ``javascript:``/``vbscript:``/``data:`` URLs (in every spelling a browser
accepts) as subject, evidence and licence, and whose provider name and disclosure hold markup.
Each value goes in its own feed, so whatever the validator refuses does not hide what it
accepts; the test then reads the pages over HTTP and parses them with :mod:`html.parser`:

* every ``href``/``src``/``action``/… is relative or ``http``/``https`` (after the same
  normalisation a browser applies before reading a scheme);
* no element, attribute or event handler came from stored text (no ``<img>``, no ``on…=``,
  no script other than the page's own files and its JSON data blocks, which must still parse);
* the stored values *are* on the page, as text: escaped, not dropped.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from tests.security.conftest import TOKEN, Served, start_served, stop_served

WORK = "https://doi.org/10.5555/xss.test"
WORK_PATH = "/works/10.5555/xss.test"

SCHEME_PAYLOADS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "\x01javascript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
)
# Syntactically valid IRIs: the validator has no reason to refuse them, so they are stored.
MUST_BE_STORED = ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
                  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")
MARKUP_PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                   "</script><script>alert(1)</script>\u2028")

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "cite", "srcset", "manifest", "ping"}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def browser_scheme(url: str) -> str | None:
    """The scheme a browser reads from ``url`` (it strips C0/space, drops tabs/newlines)."""
    text = re.sub("[\t\n\r]", "", url.strip(_C0_OR_SPACE))
    match = _SCHEME.match(text)
    return match.group(1).lower() if match else None


@dataclass
class PageScan(HTMLParser):
    """Every tag and attribute of a page, the URLs in it, the scripts, and the visible text."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    data_blocks: list[str] = field(default_factory=list)
    _in_data_script: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._in_data_script = tag == "script" and found.get("type") in DATA_SCRIPT_TYPES
        if self._in_data_script:
            self.data_blocks.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_data_script = False

    def handle_data(self, data: str) -> None:
        if self._in_data_script:
            self.data_blocks[-1] += data
        else:
            self.text.append(data)


def scan(html: str) -> PageScan:
    page = PageScan()
    page.feed(html)
    page.close()
    return page


def assert_safe(html: str, where: str) -> PageScan:
    """No dangerous URL, no element or handler from stored text, data blocks intact."""
    page = scan(html)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: event handler {name}= on <{tag}>"
            if name in URL_ATTRIBUTES and value is not None:
                if tag == "link" and attrs.get("rel") == "icon" and value == "data:,":
                    continue  # base.html's empty favicon: stops a /favicon.ico request
                scheme = browser_scheme(value)
                assert scheme in (None, "http", "https"), f"{where}: <{tag} {name}={value!r}>"
        assert tag not in {"img", "iframe", "object", "embed", "base", "meta"} or (
            tag == "meta" and set(attrs) <= {"charset", "name", "content"}), (
            f"{where}: unexpected <{tag} {attrs}>")
        if tag == "script":
            src = attrs.get("src")
            assert attrs.get("type") in DATA_SCRIPT_TYPES or (
                src is not None and src.startswith("/static/")), (
                f"{where}: a script that is neither a data block nor a static file: {attrs}")
    for block in page.data_blocks:
        json.loads(block)  # still one JSON value: nothing closed the element early
        assert "<" not in block and "\u2028" not in block, f"{where}: raw < or U+2028 in JSON"
    for marker in ("<script>alert", "<img src=x"):  # escaped, they read "&lt;script&gt;…"
        assert marker not in html, f"{where}: {marker!r} is in the page unescaped"
    return page


def _feed(items: list[dict], *, name: str = "XSS test provider",
          disclosure: dict[str, str] | None = None) -> dict:
    return {
        "@context": "https://w3id.org/alm-ld/context/v1.jsonld",
        "type": "Feed",
        "id": f"urn:uuid:{uuid.uuid4()}",
        "provider": {"id": f"https://example.org/xss/{uuid.uuid4().hex[:8]}", "name": name},
        "generated": "2026-11-24T10:00:00Z",
        "disclosure": disclosure or {"dataSources": "attack corpus"},
        "items": items,
    }


def _event(n: int, **fields: str) -> dict:
    event = {"type": "Event", "id": f"https://example.org/xss/events/{n}",
             "subject": "https://example.org/xss/page", "relation": "references",
             "object": WORK, "occurred": f"2026-11-{1 + n % 20:02d}T11:00:00Z",
             "source": "wikipedia"}
    event.update(fields)
    return event


def _count(n: int, evidence: str) -> dict:
    return {"type": "Count", "work": WORK, "metric": "citations", "value": 10 + n,
            "aggregation": "cumulative", "periodEnd": f"2026-10-{1 + n % 28:02d}",
            "source": f"xss{n}", "evidence": evidence}


@dataclass
class Attacked:
    served: Served
    stored: dict[str, list[str]]  # payload -> the fields it was stored in
    refused: dict[str, list[str]]


def _post(served: Served, feed: dict) -> bool:
    response = served.post("/feeds", data=json.dumps(feed),
                           headers={"Content-Type": "application/ld+json",
                                    "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, response.text
    return response.status_code in (200, 201)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attacked]:
    served = start_served(Path(tmp_path_factory.mktemp("xss")))
    stored: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    try:
        # A clean feed first, so the work exists whatever is refused below.
        assert _post(served, _feed([_count(0, "https://example.org/evidence"),
                                    {"type": "Work", "id": WORK,
                                     "title": "<script>alert(1)</script> a work"}]))
        n = 1
        for payload in SCHEME_PAYLOADS:
            for where, item in (("subject", _event(n, subject=payload)),
                                ("license", _event(n + 1, license=payload)),
                                ("event evidence", _event(n + 2, evidence=payload)),
                                ("count evidence", _count(n, payload))):
                ok = _post(served, _feed([item]))
                (stored if ok else refused).setdefault(payload, []).append(where)
                n += 3
        for payload in MARKUP_PAYLOADS:
            ok = _post(served, _feed([_count(n, "https://example.org/e")], name=payload,
                                     disclosure={"dataSources": payload,
                                                 "metricDefinitions": "javascript:alert(1)"}))
            (stored if ok else refused).setdefault(payload, []).append("provider/disclosure")
            n += 1
        yield Attacked(served, stored, refused)
    finally:
        stop_served(served)


def _html(served: Served, path: str, **params: str) -> str:
    response = served.get(path, params=params or None, headers={"Accept": "text/html"})
    assert response.status_code in (200, 400, 404), (path, response.status_code)
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def test_the_valid_iris_were_stored_so_the_pages_really_show_them(attacked: Attacked):
    for payload in MUST_BE_STORED:
        assert "subject" in attacked.stored.get(payload, []), (attacked.stored, attacked.refused)
    for payload in MARKUP_PAYLOADS:
        assert attacked.stored.get(payload), (attacked.stored, attacked.refused)


def test_work_page_links_only_http_and_shows_the_rest_as_text(attacked: Attacked):
    html = _html(attacked.served, WORK_PATH)
    page = assert_safe(html, "work page")
    text = "".join(page.text)
    for payload, fields in attacked.stored.items():
        if payload in SCHEME_PAYLOADS and fields != ["count evidence"]:
            shown = payload.replace("\x01", "").strip().replace("\t", "")
            assert shown.split(":")[1][:6] in text.replace("\t", ""), (payload, fields)
    assert "javascript:alert(1)" in text  # shown as text, not dropped
    assert "<script>alert(1)</script> a work" in text  # the title, escaped


def test_the_sparql_link_and_alternate_links_stay_on_this_server(attacked: Attacked):
    page = scan(_html(attacked.served, WORK_PATH))
    links = [a["href"] for tag, a in page.tags if tag == "a" and a.get("href")]
    assert any(h.startswith("/sparql?query=") for h in links)
    assert "https://doi.org/10.5555/xss.test" in links  # the identifier is still a link


def test_sources_page_shows_provider_markup_as_text(attacked: Attacked):
    html = _html(attacked.served, "/sources")
    page = assert_safe(html, "/sources")
    text = "".join(page.text)
    for payload in MARKUP_PAYLOADS:
        if attacked.stored.get(payload):
            assert payload.strip("\u2028") in text, payload


def test_home_and_search_echo_input_as_text(attacked: Attacked):
    assert_safe(_html(attacked.served, "/"), "home")
    for attempt in ('"><img src=x onerror=alert(1)>', "javascript:alert(1)",
                    "https://e.org/<script>alert(1)</script>", "</script><script>alert(1)//"):
        html = _html(attacked.served, "/search", id=attempt)
        page = assert_safe(html, f"/search?id={attempt!r}")
        inputs = [a for tag, a in page.tags if tag == "input" and a.get("name") == "id"]
        assert inputs and inputs[0].get("value") == attempt.strip()


def test_sparql_editor_keeps_a_hostile_query_inside_its_json(attacked: Attacked):
    query = "SELECT * WHERE { ?s ?p ?o } # </script><script>alert(1)</script>\u2028<!--"
    html = _html(attacked.served, "/sparql", query=query)
    page = assert_safe(html, "/sparql?query=")
    config = [json.loads(b) for b in page.data_blocks if '"endpoint"' in b]
    assert config and config[0]["query"] == query


def test_answers_that_are_not_html_cannot_be_sniffed_into_html(attacked: Attacked):
    for path, accept in ((WORK_PATH, "text/turtle"), (WORK_PATH + "/metrics", "text/csv"),
                         ("/sources", "application/json")):
        response = attacked.served.get(path, headers={"Accept": accept})
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_requests_still_work(attacked: Attacked):
    """The attack left the service serving (a plain read after all the hostile feeds)."""
    assert attacked.served.alive()
    assert requests.get(attacked.served.url + "/healthz", timeout=10).status_code == 200
