"""Security headers on every response: what a browser may do with what this service sends.

The pages show values that come from provider feeds, so even with every value escaped and every
link checked (``alm_ld.web.pages.links.safe_href``) the browser gets a second line of defence:

* ``Content-Security-Policy`` on HTML — scripts, styles, images, fonts and connections only from
  this origin; no inline script, no ``eval``, no plugins, no ``<base>``, forms post only here,
  and no other site may frame the page (clickjacking). The one exception: two fixed stylesheets
  YASGUI injects, allowed by their hashes (below), not by ``'unsafe-inline'``. Inline
  ``<script type="application/json">`` / ``application/ld+json`` data blocks are not scripts
  and need no exception.
* ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` on everything else
  (JSON, RDF, CSV, problem+json, static files). A client that fetches an answer ignores it; a
  browser that is *navigated* to an answer (a Turtle literal holding ``<script>``, opened as a
  document) can then run, load and frame nothing.
* ``X-Content-Type-Options: nosniff`` — an answer is only ever what its ``Content-Type`` says,
  so a CSV or Turtle body holding markup is never sniffed into HTML or script.
* ``Referrer-Policy: strict-origin-when-cross-origin`` — links to evidence and licences on other
  sites tell them only this service's origin, never which work was being read; same-origin
  requests keep the full referrer (useful in the service's own logs). ``no-referrer`` would
  hide even the origin but also make the browser send ``Origin: null`` on the SPARQL editor's
  own POSTs, for no gain: the origin of a public service is no secret.
* ``X-Frame-Options: DENY`` — ``frame-ancestors`` for browsers that predate CSP level 2.

Headers a view set itself are kept (``setdefault``). :func:`common_headers` is the one builder
of these and of the CORS headers (:mod:`alm_ld.web.cors`): the Flask hook below and the WSGI fast
paths (:mod:`alm_ld.web.fast_path`) both send what it returns, so the two cannot drift apart.
"""

from __future__ import annotations

from flask import Flask, Response, request

from alm_ld.web.cors import cors_headers

# The two <style> elements YASGUI's results table (its bundled column-resizer) adds to <head>:
# fixed text, allowed by hash so that nothing else inline is, and the SPARQL editor needs no
# 'unsafe-inline' (Chromium shows no other inline style: CodeMirror and YASGUI set styles
# through element.style, which CSP allows). tests/security/test_headers.py recomputes both from
# the vendored yasgui.min.js, so refreshing YASGUI cannot silently break the page.
YASGUI_STYLE_HASHES = (
    "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",  # " .grip-resizable{…}" table rules
    "'sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg='",  # "*{cursor:col-resize!important}"
)

HTML_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' " + " ".join(YASGUI_STYLE_HASHES),
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
))
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
REFERRER_POLICY = "strict-origin-when-cross-origin"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# For answers made outside Flask (a front server that refuses a request before the app sees it):
# add these to its headers so every answer carries the same protection.
NON_HTML_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", REFERRER_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", OTHER_CSP),
)


def common_headers(mimetype: str, method: str, path: str) -> list[tuple[str, str]]:
    """The CORS and security headers of an answer of type ``mimetype`` to ``method path``."""
    headers = cors_headers(method, path)
    html = mimetype in HTML_TYPES
    for name, value in NON_HTML_HEADERS:
        headers.append((name, HTML_CSP if html and name == "Content-Security-Policy" else value))
    return headers


def security_headers(response: Response) -> Response:
    """Add :func:`common_headers` to ``response`` (those a view set itself are kept)."""
    for name, value in common_headers(response.mimetype or "", request.method, request.path):
        response.headers.setdefault(name, value)
    return response


def register_security_headers(app: Flask) -> None:
    """Send the headers on every response ``app`` makes, error answers included (CORS too:
    one hook, one builder)."""
    app.after_request(security_headers)


__all__ = ["HTML_CSP", "NON_HTML_HEADERS", "OTHER_CSP", "REFERRER_POLICY", "YASGUI_STYLE_HASHES",
           "common_headers", "register_security_headers", "security_headers"]
