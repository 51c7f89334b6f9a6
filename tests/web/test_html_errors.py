"""Browsers that ask for HTML get HTML error pages (same status, same headers); every other
client keeps getting application/problem+json. Over real HTTP."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
PROBLEM = "application/problem+json"


def get(live, path, accept=None, method="GET"):
    return live.request(method, path,
                        headers={"Accept": accept} if accept else {})


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/works/10.9999/does.not.exist", 404),
    ("GET", "/works/not-an-id", 400),
    ("GET", "/no/such/page", 404),
    ("PUT", "/sparql", 405),
    ("GET", "/sparql?query=SELEKT", 400),
    ("GET", "/changes?cursor=!!!", 400),
])
def test_browsers_get_an_html_error_page(loaded_app, method, path, status):
    page = get(loaded_app, path, BROWSER, method)
    assert page.status_code == status
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]
    assert f"<h1>{status} · " in page.text
    embedded = json.loads(unescape(re.search(r'<pre id="problem-json">(.*?)</pre>', page.text,
                                             re.S).group(1)))
    for accept in (None, "*/*", "application/json", PROBLEM):
        data = get(loaded_app, path, accept, method)
        assert data.status_code == status
        assert data.headers["Content-Type"] == PROBLEM
        assert data.get_json() == embedded
    if status == 405:
        assert page.headers["Allow"] == data.headers["Allow"]


def test_error_page_escapes_what_the_client_sent(loaded_app):
    page = get(loaded_app, "/works/10.1234/<script>alert(1)</script>", BROWSER)
    assert page.status_code in (400, 404)
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text
