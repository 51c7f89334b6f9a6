"""Static assets: pages name them under fingerprinted names, served for a year as immutable;
plain and stale names still work, revalidated. The favicon is one of them. Over real HTTP."""

from __future__ import annotations

import re

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def test_pages_use_fingerprinted_assets_cached_for_a_year(loaded_app):
    page = loaded_app.get("/sparql", headers={"Accept": BROWSER}).text
    assets = ASSET.findall(page)
    assert any(a.startswith("/static/favicon.") and a.endswith(".svg") for a in assets)
    assert any("yasgui.min." in a and a.endswith(".js") for a in assets)
    for path in assets:
        assert re.search(r"\.[0-9a-f]{12}\.[a-z]+$", path), path
        response = loaded_app.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", path)
        same = loaded_app.get(plain)
        assert same.data == response.data
        assert same.headers["Cache-Control"] == "no-cache"


def test_a_stale_fingerprint_gets_todays_file_revalidated(loaded_app):
    response = loaded_app.get("/static/css/site.000000000000.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.data == loaded_app.get("/static/css/site.css").data
    assert loaded_app.get("/static/nothing.000000000000.css").status_code == 404


def test_every_page_has_the_favicon(loaded_app):
    for path in ("/", "/sources", "/vocab", "/works/10.9999/none"):
        page = loaded_app.get(path, headers={"Accept": BROWSER}).text
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
        assert icon, path
        response = loaded_app.get(icon.group(1))
        assert response.headers["Content-Type"].startswith("image/svg+xml")


def test_favicon_ico_is_the_svg_icon(loaded_app):
    for encoding in ("gzip", "identity"):
        response = loaded_app.get("/favicon.ico",
                                  headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert response.data.startswith(b"<svg")
