"""Security headers on every answer of the served process (alm_ld/web/security_headers.py).

Pages get a strict Content-Security-Policy (no inline script, no eval, nothing from other
hosts, no framing); every other answer (JSON, RDF, CSV, problem+json, static files, redirects,
errors) gets ``default-src 'none'; frame-ancestors 'none'``; all carry ``nosniff``, a
``Referrer-Policy`` and ``X-Frame-Options: DENY``. Checked over real HTTP against
``alm-ld serve --demo``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from alm_ld.web.security_headers import YASGUI_STYLE_HASHES
from tests.security.conftest import Served

DEMO_WORK = "/works/10.7717/peerj.4375"
YASGUI_JS = (Path(__file__).resolve().parents[2] / "alm_ld" / "web" / "static" / "vendor"
             / "yasgui" / "yasgui.min.js")

PAGES = ["/", DEMO_WORK, "/sources", "/sparql", "/vocab", "/search?id=not-an-id",
         "/search?id=doi:10.5555/nothing-here", "/sparql?query=SELECT%20*%20WHERE%20%7B%7D"]
OTHERS = [
    (DEMO_WORK, "text/turtle"), (DEMO_WORK, "application/ld+json"),
    (DEMO_WORK + "/metrics", "text/csv"), (DEMO_WORK + "/related", "application/json"),
    ("/sources", "application/json"), ("/changes", "application/activity+json"),
    ("/alerts", "application/json"), ("/openapi.json", "application/json"),
    ("/.well-known/void", "text/turtle"), ("/contexts/v1.jsonld", "application/ld+json"),
    ("/healthz", "*/*"), ("/static/js/sparql-editor.js", "*/*"),
    ("/static/css/site.css", "*/*"), ("/works/doi:not-a-doi", "application/json"),
    ("/no/such/route", "application/json"),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B%7D", "application/sparql-results+json"),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B", "application/sparql-results+json"),
]


def directives(policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def assert_common(response, where: str) -> dict[str, list[str]]:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    policy = headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy, (where, policy)
    found = directives(policy)
    assert found.get("frame-ancestors") == ["'none'"], (where, policy)
    return found


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_csp(served: Served, path: str):
    response = served.get(path, headers={"Accept": "text/html"}, allow_redirects=False)
    assert response.status_code in (200, 303, 400, 404), (path, response.status_code)
    found = assert_common(response, path)
    if response.status_code == 303:
        return
    assert response.headers["Content-Type"].startswith("text/html"), path
    assert found["default-src"] == ["'self'"]
    assert found["script-src"] == ["'self'"]  # no 'unsafe-inline', no hashes, no hosts
    assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'none'"]
    assert found["form-action"] == ["'self'"] and found["connect-src"] == ["'self'"]
    assert found["img-src"] == ["'self'", "data:"]
    assert found["style-src"] == ["'self'", *YASGUI_STYLE_HASHES]
    # The policy holds because the page has no inline script: only files and data blocks.
    parser = _Scripts()
    parser.feed(response.text)
    for script in parser.scripts:
        assert script.get("src", "").startswith("/static/") or script.get("type") in (
            "application/json", "application/ld+json"), (path, script)


def test_search_redirect_carries_the_headers(served: Served):
    response = served.get("/search?id=DOI:10.7717/PEERJ.4375", allow_redirects=False)
    assert response.status_code == 303
    assert_common(response, "/search 303")


@pytest.mark.parametrize(("path", "accept"), OTHERS)
def test_other_answers_carry_a_deny_all_csp(served: Served, path: str, accept: str):
    response = served.get(path, headers={"Accept": accept})
    assert response.status_code < 500, (path, response.status_code)
    assert not response.headers["Content-Type"].startswith("text/html"), path
    found = assert_common(response, path)
    assert found == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, path


def test_posts_and_preflights_carry_them_too(served: Served):
    assert_common(served.post("/validate", data=b"{}",
                              headers={"Content-Type": "application/json"}), "POST /validate")
    assert_common(served.post("/feeds", data=b"{}",
                              headers={"Content-Type": "application/json"}), "POST /feeds 401")
    cross_origin = served.get("/sparql", headers={"Origin": "https://example.org"})
    assert cross_origin.headers.get("Access-Control-Allow-Origin") == "*"  # CORS unchanged
    options = requests.options(served.url + "/sparql", timeout=10, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert_common(options, "OPTIONS /sparql")


def test_the_allowed_style_hashes_are_yasguis_own_stylesheets():
    """The two hashes are exactly the fixed stylesheets the vendored YASGUI injects (its
    column resizer): recomputed here, so refreshing YASGUI cannot leave a stale exception."""
    js = YASGUI_JS.read_text(encoding="utf-8")
    table_rules = re.search(r"createStyle\(\w+,`( \.grip-resizable\{[^`]*)`\)", js)
    drag = re.search(r"createStyle\([^,]+,`(\*\{cursor:)`\+\w+\.opt\.dragCursor\+`(!important\})`",
                     js)
    default_cursor = re.search(r"dragCursor:`([^`]*)`", js)
    assert table_rules and drag and default_cursor, "YASGUI changed: recompute the CSP hashes"
    texts = [table_rules.group(1),
             drag.group(1) + default_cursor.group(1) + drag.group(2)]
    computed = tuple("'sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()
                     + "'" for t in texts)
    assert computed == YASGUI_STYLE_HASHES
