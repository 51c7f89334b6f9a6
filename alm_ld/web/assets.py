"""Static assets under fingerprinted names, cached for a year.

Pages name their CSS and JavaScript through ``url_for('static', filename=…)``; this module
rewrites every such URL to carry a fingerprint of the file's content
(``css/site.css`` → ``css/site.3f2a1b0c9d8e.css``), and serves a fingerprinted name whose
fingerprint matches the file with ``Cache-Control: public, max-age=31536000, immutable``: a
browser fetches the 1 MB YASGUI bundle once and never revalidates it, and a changed file gets a
new URL, so nobody sees a stale one. Plain names (and stale fingerprints, from a page rendered
before an upgrade) are still served, with ``no-cache`` (revalidated by ETag every time).
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")
_digests: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def digest(path: Path) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (kept per path, size and mtime), or None
    when it is not a file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        found = _digests.get(key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with _lock:
            _digests[key] = found
    return found


def fingerprinted(folder: Path, filename: str) -> str:
    """``filename`` with its content's fingerprint before the extension; unchanged when the
    file does not exist or has no extension."""
    path = Path(filename)
    found = digest(folder / filename) if path.suffix else None
    return str(path.with_name(f"{path.stem}.{found}{path.suffix}")) if found else filename


def register_assets(app: Flask) -> None:
    """Fingerprint ``url_for('static', …)`` and serve fingerprinted names (module doc)."""
    if app.static_folder is None:
        return
    folder = Path(app.static_folder)

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = fingerprinted(folder, values["filename"])

    def static(filename: str) -> Response:
        match = _FINGERPRINTED.match(filename)
        if match:
            plain = match["stem"] + match["suffix"]
            current = digest(folder / plain)
            if current == match["digest"]:
                response = app.send_static_file(plain)
                response.headers["Cache-Control"] = IMMUTABLE
                return response
            if current is not None and not (folder / filename).is_file():
                filename = plain  # a stale fingerprint: today's file, revalidated
        response = app.send_static_file(filename)
        response.headers["Cache-Control"] = REVALIDATE
        return response

    app.view_functions["static"] = static

    def favicon() -> Response:
        """Tools and browsers on non-HTML answers ask ``/favicon.ico``: the same SVG icon."""
        response = app.send_static_file("favicon.svg")
        # A file response is passthrough; compression (which reads bodies of non-static
        # endpoints) needs it as data. The icon is 400 bytes.
        response.direct_passthrough = False
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    app.add_url_rule("/favicon.ico", "favicon", favicon)
