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
