"""gzip by Accept-Encoding: smaller answers, the same content, working revalidation."""

from __future__ import annotations

import gzip

import requests

from tests.web.webdata import WORK


def _raw(url: str, **headers: str) -> requests.Response:
    response = requests.get(url, headers=headers, timeout=20, stream=True)
    response.raw.decode_content = False
    response._content = response.raw.read()  # the bytes as sent, not decoded by requests
    return response


def test_work_document_gzipped_and_identical(loaded):
    url = f"{loaded.url}/works/{WORK}"
    plain = _raw(url, **{"Accept": "text/turtle", "Accept-Encoding": "identity"})
    zipped = _raw(url, **{"Accept": "text/turtle", "Accept-Encoding": "gzip, br"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.content) < len(plain.content)
    assert gzip.decompress(zipped.content) == plain.content
    etag = zipped.headers["ETag"]
    assert etag.startswith('W/"')
    again = requests.get(url, headers={"Accept": "text/turtle", "Accept-Encoding": "gzip",
                                       "If-None-Match": etag}, timeout=20)
    assert again.status_code == 304


def test_editor_bundle_gzipped(loaded):
    url = f"{loaded.url}/static/vendor/yasgui/yasgui.min.js"
    plain = _raw(url, **{"Accept-Encoding": "identity"})
    zipped = _raw(url, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.content) * 3 < len(plain.content)
    assert gzip.decompress(zipped.content) == plain.content


def test_sparql_results_gzipped(loaded):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"
    response = _raw(f"{loaded.url}/sparql?query={requests.utils.quote(query)}",
                    **{"Accept": "text/csv", "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).startswith(b"s,p,o")


def test_no_gzip_when_refused(loaded):
    response = _raw(f"{loaded.url}/vocab", **{"Accept": "text/turtle",
                                             "Accept-Encoding": "gzip;q=0, identity"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_a_file_answer_outside_static_is_passed_through_whole(tmp_path) -> None:
    """send_file outside the static route (direct passthrough) is not compressed, and not 500.

    Under waitress the file arrives in waitress's own file wrapper, which has a length, so the
    response does not count as streamed; reading it back to compress it raised."""
    from flask import Flask, send_file
    from waitress.buffers import ReadOnlyFileBasedBuffer

    from alm_ld.web.compression import register_compression

    page = tmp_path / "big.txt"
    page.write_text("alm-ld " * 2000)
    app = Flask(__name__)
    app.add_url_rule("/file", "file", lambda: send_file(page, mimetype="text/plain"))
    register_compression(app)
    response = app.test_client().get("/file", headers={"Accept-Encoding": "gzip"},
                                     environ_overrides={"wsgi.file_wrapper":
                                                        ReadOnlyFileBasedBuffer})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == page.read_bytes()
