"""gzip for the answers that are worth it, chosen by ``Accept-Encoding``.

Work documents, SPARQL results, ``/vocab`` and the 1 MB SPARQL editor bundle are text that
compresses 5–10×; nothing was compressed before. Rules:

* only when the client accepts gzip (q > 0), the status is 200, the body is at least
  :data:`MIN_SIZE` bytes, the media type is text-like, and the answer is not a stream (the change
  stream must reach listeners event by event, so streamed bodies are never buffered here);
* ``Vary: Accept-Encoding`` on every answer that could have been compressed, so caches keep both;
* a compressed answer's ``ETag`` becomes weak (``W/"…"``): the representation differs byte for
  byte but not in meaning, and ``If-None-Match`` is compared weakly, so revalidation still gives
  304;
* static files are compressed once per file version (path, size, mtime) and kept in memory; they
  are few and immutable, so a per-request gzip of the editor bundle (~30 ms) is not paid twice.

Brotli would save a little more but needs another compiled dependency; gzip is universal.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterable

from flask import Flask, Response, request

MIN_SIZE = 1024
LEVEL = 6
_TEXT_TYPES = frozenset({
    "application/json", "application/ld+json", "application/problem+json",
    "application/javascript", "application/xml", "application/rdf+xml",
    "application/n-triples", "application/n-quads", "application/trig",
    "application/sparql-results+json", "application/sparql-results+xml",
    "application/activity+json", "image/svg+xml",
})
_STATIC_CACHE: dict[tuple[str, int, float], bytes] = {}
_STATIC_LOCK = threading.Lock()
_STATIC_CACHE_MAX = 64


def compressible(mimetype: str) -> bool:
    return (mimetype.startswith("text/") and mimetype != "text/event-stream") \
        or mimetype in _TEXT_TYPES or mimetype.endswith(("+json", "+xml"))


def accepts_gzip(accept_encoding: Iterable[tuple[str, float]]) -> bool:
    return any(value.lower() in ("gzip", "*") and quality > 0
               for value, quality in accept_encoding)


def _static_key(response: Response) -> tuple[str, int, float] | None:
    if request.endpoint != "static" or response.last_modified is None:
        return None
    return (request.path, response.content_length or 0, response.last_modified.timestamp())


def _compressed_static(key: tuple[str, int, float], response: Response) -> bytes:
    with _STATIC_LOCK:
        cached = _STATIC_CACHE.get(key)
    if cached is not None:
        return cached
    data = gzip.compress(response.get_data(), compresslevel=9, mtime=0)
    with _STATIC_LOCK:
        if len(_STATIC_CACHE) >= _STATIC_CACHE_MAX:
            _STATIC_CACHE.clear()
        _STATIC_CACHE[key] = data
    return data


def compress(response: Response) -> Response:
    """gzip ``response`` in place when the rules above allow it."""
    if response.status_code != 200 or "Content-Encoding" in response.headers \
            or not compressible(response.mimetype or ""):
        return response
    key = _static_key(response)
    if key is None and (response.is_streamed or response.direct_passthrough):
        return response  # a stream or a file handed to the server as it is: leave it whole
    response.vary.add("Accept-Encoding")
    if not accepts_gzip(request.accept_encodings):
        return response
    if key is not None:
        response.direct_passthrough = False
        if (response.content_length or 0) < MIN_SIZE:
            return response
        data = _compressed_static(key, response)
    else:
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        data = gzip.compress(body, compresslevel=LEVEL, mtime=0)
    response.set_data(data)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response


def register_compression(app: Flask) -> None:
    """Compress every eligible answer of ``app`` (registered last: runs after the views)."""
    app.after_request(compress)
