"""Static assets: pages name them under fingerprinted names, served for a year as immutable;
plain and stale names still work, revalidated. The favicon is one of them. Over real HTTP."""

from __future__ import annotations

import re

import requests

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def test_pages_use_fingerprinted_assets_cached_for_a_year(loaded):
    page = requests.get(loaded.url + "/sparql", headers={"Accept": BROWSER}, timeout=10).text
    assets = ASSET.findall(page)
    assert any(a.startswith("/static/favicon.") and a.endswith(".svg") for a in assets)
    assert any("yasgui.min." in a and a.endswith(".js") for a in assets)
    for path in assets:
        assert re.search(r"\.[0-9a-f]{12}\.[a-z]+$", path), path
        response = requests.get(loaded.url + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", path)
        same = requests.get(loaded.url + plain, timeout=10)
        assert same.content == response.content
        assert same.headers["Cache-Control"] == "no-cache"


def test_a_stale_fingerprint_gets_todays_file_revalidated(loaded):
    response = requests.get(loaded.url + "/static/css/site.000000000000.css", timeout=10)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.content == requests.get(loaded.url + "/static/css/site.css",
                                            timeout=10).content
    assert requests.get(loaded.url + "/static/nothing.000000000000.css",
                        timeout=10).status_code == 404


def test_every_page_has_the_favicon(loaded):
    for path in ("/", "/sources", "/vocab", "/works/10.9999/none"):
        page = requests.get(loaded.url + path, headers={"Accept": BROWSER}, timeout=10).text
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
        assert icon, path
        response = requests.get(loaded.url + icon.group(1), timeout=10)
        assert response.headers["Content-Type"].startswith("image/svg+xml")


def test_favicon_ico_is_the_svg_icon(loaded):
    for encoding in ("gzip", "identity"):
        response = requests.get(loaded.url + "/favicon.ico", timeout=10,
                                headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert response.content.startswith(b"<svg")
