"""A request body of unknown length (``Transfer-Encoding: chunked``) is refused over the limit.

Flask's ``MAX_CONTENT_LENGTH`` refuses a body whose ``Content-Length`` is too large, but a
chunked body has none: werkzeug then wraps the (server-dechunked, ``wsgi.input_terminated``)
input in a stream that simply stops at the limit, and ``get_data()`` returns the first
``max_body`` bytes as if they were the whole body — a silently truncated feed or query
(issue 12, item 8). Before any view runs, such a body is read here up to ``max_body + 1``
bytes: one byte too many is a 413 problem+json; otherwise the view gets the whole body with
its real ``Content-Length``.

waitress (production) already decodes chunked bodies and sets ``CONTENT_LENGTH``, so this only
acts under werkzeug's servers (``--server dev``, the test server) or any other WSGI server.
"""

from __future__ import annotations

import io

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

READ_SIZE = 64 * 1024


def _buffer_unsized_body(max_body: int) -> None:
    environ = request.environ
    if request.content_length is not None or not environ.get("wsgi.input_terminated"):
        return
    stream = environ["wsgi.input"]
    parts: list[bytes] = []
    size = 0
    while size <= max_body:
        part = stream.read(min(READ_SIZE, max_body + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > max_body:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(b"".join(parts))
    environ["CONTENT_LENGTH"] = str(size)


def register_body_limit(app: Flask, max_body: int) -> None:
    """Refuse chunked bodies over ``max_body`` with 413 instead of cutting them."""
    app.before_request(lambda: _buffer_unsized_body(max_body))
