"""/dumps over real HTTP: the manifest (JSON and DCAT), files with ETag and byte ranges, a
download resumed where it broke off, the live tail, and problem answers for bad requests."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from alm_ld.config import Settings
from alm_ld.errors import HarvestError
from alm_ld.exchange.snapshots import make_snapshot
from alm_ld.harvest.http import FileClient
from alm_ld.store import open_store
from alm_ld.web import create_app
from tests.exchange.served import Served
from tests.support.server import ThreadedServer

DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Iterator[Served]:
    """One server for the module (its tests only read): feeds 1..3, a snapshot, feed 4, a
    snapshot (with the delta 4..4)."""
    server = ThreadedServer()
    settings = Settings(store="memory:", base_url=server.url,
                        dumps_dir=str(tmp_path_factory.mktemp("source-dumps")))
    served = Served(server.url, open_store("memory:", settings=settings), settings)
    server.start(create_app(settings, served.store))
    served.ingest("crossref.json", "europepmc.json", "wikipedia.json")
    make_snapshot(served.store, served.settings)
    served.ingest("plos.json")
    make_snapshot(served.store, served.settings)
    yield served
    server.stop()


def files_of(manifest: dict) -> dict[str, dict]:
    return {item["name"]: item for entry in (*manifest["snapshots"], *manifest["deltas"])
            for item in entry["files"]}


def test_manifest_lists_each_file_with_range_size_sha256_counts_and_licences(source) -> None:
    status, headers, body = fetch(f"{source.url}/dumps/index.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    manifest = json.loads(body)
    assert [s["sequence"] for s in manifest["snapshots"]] == [
        {"first": 1, "last": 3}, {"first": 1, "last": 4}]
    assert [d["sequence"] for d in manifest["deltas"]] == [{"first": 4, "last": 4}]
    assert manifest["watermark"] == 4
    files = files_of(manifest)
    assert sorted(files) == sorted([
        "snapshot-000003.nq.gz", "snapshot-000003.jsonl.gz", "snapshot-000003.csv.gz",
        "snapshot-000004.nq.gz", "snapshot-000004.jsonl.gz", "snapshot-000004.csv.gz",
        "delta-000004-000004.nq.gz", "delta-000004-000004.jsonl.gz"])
    for name, item in files.items():
        status, _, data = fetch(item["url"])
        assert status == 200 and len(data) == item["size"], name
        assert hashlib.sha256(data).hexdigest() == item["sha256"], name
        text = gzip.decompress(data).decode("utf-8")
        if item["format"] == "jsonld-lines":
            lines = [json.loads(line) for line in text.splitlines()]
            assert len(lines) == item["records"]["feeds"] == item["sequence"]["last"] - \
                item["sequence"]["first"] + 1
            assert all(line["@context"] == "https://w3id.org/alm-ld/context/v1.jsonld"
                       for line in lines)
        elif item["format"] == "csv":
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0] == ["work", "metric", "source", "value", "as_of"]
            assert len(rows) - 1 == item["records"]["rows"] > 0
        else:
            assert item["records"]["quads"] == len(text.splitlines())
    snapshot = files["snapshot-000004.nq.gz"]
    assert snapshot["licenses"]["wikipedia"] == [
        "https://creativecommons.org/licenses/by-sa/4.0/"]
    assert snapshot["licenses"]["europepmc"] == ["https://www.ebi.ac.uk/about/terms-of-use"]
    assert "plos" in snapshot["licenses"] and "plos" not in files[
        "snapshot-000003.nq.gz"]["licenses"]
    assert set(files["delta-000004-000004.nq.gz"]["licenses"]) == {"plos"}


def test_each_jsonld_line_means_exactly_its_feed_graph_in_the_nquads(source) -> None:
    """Both compactions (the web's, which serve and the CLI use, and pyld's default) give
    lines whose RDF is the feed graph the N-Quads file holds."""
    from rdflib import Dataset
    from rdflib.compare import isomorphic

    from alm_ld.analytics.changes import feeds_from
    from alm_ld.exchange.writers import Counts, jsonld_lines
    from alm_ld.jsonld import to_rdf_nquads

    quads = Dataset()
    quads.parse(data=gzip.decompress(fetch(f"{source.url}/dumps/snapshot-000004.nq.gz")[2]),
                format="nquads")
    served_lines = gzip.decompress(fetch(f"{source.url}/dumps/snapshot-000004.jsonl.gz")[2])
    feeds = feeds_from(source.store, 1)[:2]
    pyld_lines = b"".join(jsonld_lines(source.store, feeds, Counts()))
    for lines in (served_lines.splitlines()[:2], pyld_lines.splitlines()):
        for line, feed in zip(lines, feeds, strict=True):
            doc = json.loads(line)
            assert doc["id"] == feed.iri
            meant = Dataset()
            meant.parse(data=to_rdf_nquads(doc), format="nquads")
            assert isomorphic(meant.graph(URIRef(feed.iri)), quads.graph(URIRef(feed.iri)))


def test_current_values_csv_holds_the_newest_value_per_work_metric_source(serve) -> None:
    served = serve("csv")
    served.ingest("plos.json")
    make_snapshot(served.store, served.settings)
    _, _, body = fetch(f"{served.url}/dumps/snapshot-000001.csv.gz")
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(body).decode())))
    keys = [(r["work"], r["metric"], r["source"]) for r in rows]
    assert len(keys) == len(set(keys)) and {r["source"] for r in rows} == {"plos"}
    from alm_ld.pipeline import current_counts
    for row in rows:
        current = {(c["metric"].rsplit("/", 1)[-1], c["source"].rsplit("/", 1)[-1]): c
                   for c in current_counts(served.store, row["work"])}
        assert str(current[(row["metric"], row["source"])]["value"]) == row["value"]


def test_dcat_turtle_by_conneg_and_void_data_dump(source) -> None:
    status, headers, body = fetch(f"{source.url}/dumps", {"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in headers.get("Vary", "")
    graph = Graph().parse(data=body, format="turtle")
    downloads = set(graph.objects(None, DCAT.downloadURL))
    manifest = json.loads(fetch(f"{source.url}/dumps")[2])
    assert downloads == {URIRef(i["url"]) for i in files_of(manifest).values()}
    assert fetch(f"{source.url}/dumps/index.ttl")[2] == body
    assert fetch(f"{source.url}/dumps?format=ttl")[2] == body
    void = Graph().parse(data=fetch(f"{source.url}/.well-known/void",
                                    {"Accept": "text/turtle"})[2], format="turtle")
    assert set(void.objects(None, VOID.dataDump)) == {
        URIRef(f"{source.url}/dumps/snapshot-000004.nq.gz")}


def test_files_answer_ranges_with_206_and_if_range(source) -> None:
    url = f"{source.url}/dumps/snapshot-000004.nq.gz"
    status, headers, whole = fetch(url)
    assert status == 200 and headers["Accept-Ranges"] == "bytes"
    etag = headers["ETag"]
    assert headers["Last-Modified"] and etag.strip('"') == hashlib.sha256(whole).hexdigest()
    status, headers, part = fetch(url, {"Range": "bytes=100-", "If-Range": etag})
    assert status == 206 and part == whole[100:]
    assert headers["Content-Range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    # A stale validator: the whole (new) file, not a range of it.
    status, _, body = fetch(url, {"Range": "bytes=100-", "If-Range": '"stale"'})
    assert status == 200 and body == whole
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    status, headers, body = fetch(url, {"Range": f"bytes={len(whole) + 10}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 416


def test_an_interrupted_download_resumes_from_where_it_stopped(source, tmp_path: Path) -> None:
    manifest = json.loads(fetch(f"{source.url}/dumps/index.json")[2])
    item = files_of(manifest)["snapshot-000004.nq.gz"]
    whole = fetch(item["url"])[2]
    target = tmp_path / item["name"]
    # What an attempt cut off after 1,000 bytes leaves behind: the part and the ETag.
    target.with_name(target.name + ".partial").write_bytes(whole[:1000])
    target.with_name(target.name + ".etag").write_text(f'"{item["sha256"]}"')
    client = FileClient(Settings())
    try:
        got = client.download(item["url"], target)
    finally:
        client.close()
    assert (got.status, got.resumed_from) == (206, 1000)
    assert got.sha256 == item["sha256"] and target.read_bytes() == whole
    assert not target.with_name(target.name + ".partial").exists()


def test_the_live_tail_streams_feeds_after_a_sequence(source) -> None:
    status, headers, body = fetch(f"{source.url}/dumps/live?after=2")
    assert status == 200 and headers["Content-Type"].startswith("application/n-quads")
    assert (headers["Alm-Sequence-First"], headers["Alm-Sequence-Last"]) == ("3", "4")
    assert body.startswith(b"# alm-ld feeds 3..4\n")
    one = fetch(f"{source.url}/dumps/live?after=2&limit=1")[2]
    assert one.startswith(b"# alm-ld feeds 3..3\n") and len(one) < len(body)
    status, _, body = fetch(f"{source.url}/dumps/live?after=4")
    assert status == 200 and body == b""


@pytest.mark.parametrize("path", [
    "/dumps/live?after=%20", "/dumps/live?after=-1", "/dumps/live?after=x",
    "/dumps/live?after=%C2%B2",
    "/dumps/live?after=0&limit=0", "/dumps/live?after=0&limit=100000"])
def test_bad_live_parameters_are_400_problems(source, path: str) -> None:
    status, headers, body = fetch(source.url + path)
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["detail"]


@pytest.mark.parametrize("name", ["nope.nq.gz", ".lock", "index.json.partial",
                                  "..%2Findex.json", ".snapshot-000004.nq.gz.partial"])
def test_unlisted_names_are_404_problems(source, name: str) -> None:
    status, headers, _ = fetch(f"{source.url}/dumps/{name}")
    assert status == 404 and headers["Content-Type"] == "application/problem+json"


def test_no_snapshot_yet_is_an_empty_manifest_not_an_error(serve) -> None:
    served = serve("empty")
    manifest = json.loads(fetch(f"{served.url}/dumps")[2])
    assert manifest["snapshots"] == [] and manifest["deltas"] == [] and manifest["watermark"] == 0
    assert fetch(f"{served.url}/dumps", {"Accept": "image/png"})[0] == 406


def test_file_client_names_the_url_of_a_failed_request(source, tmp_path: Path) -> None:
    client = FileClient(Settings(http_retries=0))
    try:
        with pytest.raises(HarvestError, match="404") as caught:
            client.download(f"{source.url}/dumps/missing.nq.gz", tmp_path / "x")
    finally:
        client.close()
    assert caught.value.url == f"{source.url}/dumps/missing.nq.gz"


def test_a_connection_dropped_mid_file_is_resumed_with_a_range(source, tmp_path: Path) -> None:
    """The server dies after 1,000 bytes of the first answer; the client asks for the rest
    (Range + If-Range) and ends with the whole, checked file."""
    from tests.support.server import ThreadedServer

    seen: list[str | None] = []

    def cut_once(environ, start_response):
        seen.append(environ.get("HTTP_RANGE"))
        upstream = urllib.request.urlopen(urllib.request.Request(
            source.url + environ["PATH_INFO"],
            headers={k: environ[f"HTTP_{k.upper().replace('-', '_')}"]
                     for k in ("Range", "If-Range") if f"HTTP_{k.upper().replace('-', '_')}"
                     in environ}), timeout=30)
        body = upstream.read()
        headers = [(k, v) for k, v in upstream.headers.items()
                   if k.lower() not in ("connection", "transfer-encoding")]
        start_response(f"{upstream.status} X", headers)
        yield body[:1000]
        if len(seen) == 1:
            raise ConnectionAbortedError("cut")  # the connection drops mid-body
        yield body[1000:]

    proxy = ThreadedServer().start(cut_once)
    manifest = json.loads(fetch(f"{source.url}/dumps/index.json")[2])
    item = files_of(manifest)["snapshot-000004.nq.gz"]
    client = FileClient(Settings(http_timeout=5))
    try:
        got = client.download(f"{proxy.url}/dumps/{item['name']}", tmp_path / item["name"])
    finally:
        client.close()
        proxy.stop()
    assert seen == [None, "bytes=1000-"]
    assert (got.status, got.resumed_from, got.sha256) == (206, 1000, item["sha256"])
