"""``alm-ld mirror`` between two real servers: the second one, empty, ends with exactly the
dataset of the first — after a snapshot, after a delta, and after feeds no file holds yet."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from rdflib import Dataset
from rdflib.compare import isomorphic

from alm_ld.analytics.changes import END, Cursor
from alm_ld.analytics.current_view import current_values
from alm_ld.analytics.sparql import select
from alm_ld.cli import main
from alm_ld.exchange.snapshots import make_snapshot
from alm_ld.store import open_store


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def dataset_of(url: str) -> dict[str, Dataset]:
    """Every feed and alert graph a server holds, read back over HTTP (its live tail from 0)."""
    data = Dataset()
    data.parse(data=get(f"{url}/dumps/live?after=0"), format="nquads")
    graphs = {str(g.identifier): g for g in data.graphs() if len(g)}
    assert graphs, "the server holds no feed"
    return graphs


def assert_same_dataset(first: str, second: str) -> None:
    left, right = dataset_of(first), dataset_of(second)
    assert sorted(left) == sorted(right)
    for name in left:
        assert isomorphic(left[name], right[name]), name


def changes(url: str) -> list[dict]:
    page = json.loads(get(f"{url}/changes?cursor={Cursor(0, END).encode()}&limit=1000"))
    return page["orderedItems"]


def run_mirror(capsys, url: str, store_spec: str) -> dict:
    assert main(["mirror", url, "--store", store_spec]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_mirror_snapshot_then_delta_then_tail(serve, tmp_path: Path, capsys) -> None:
    source = serve("source")
    source.ingest("crossref.json", "datacite.json", "plos.json")
    assert make_snapshot(source.store, source.settings)["sequence"] == {"first": 1, "last": 3}
    target = f"oxigraph:{tmp_path / 'target'}"

    report = run_mirror(capsys, source.url, target)
    assert report["snapshot"] == "snapshot-000003" and report["deltas"] == []
    assert report["sequence"] == 3 and report["tailFeeds"] == 0
    assert report["changes"] == f"{source.url}/changes?cursor={Cursor(3, END).encode()}"

    # More feeds: two covered by a new snapshot's delta, one only by the live tail.
    source.ingest("openalex.json", "europepmc.json")
    make_snapshot(source.store, source.settings)
    source.ingest("wikipedia.json")
    report = run_mirror(capsys, source.url, target)
    assert report["from"] == 3 and report["snapshot"] is None
    assert report["deltas"] == ["delta-000004-000005"]
    assert report["tailFeeds"] == 1 and report["sequence"] == 6

    mirrored = serve("mirror", open_store(target))
    assert_same_dataset(source.url, mirrored.url)
    # The mirror's change feed is the source's, item for item (same order, same sequences);
    # its current values (the derived view, rebuilt by the mirror) are the source's.
    works = {row["work"] for row in select(source.store, "SELECT DISTINCT ?work WHERE "
                                           "{ ?o <https://w3id.org/alm-ld/vocab#work> ?work }")}
    assert len(works) > 5
    for work in works:
        assert current_values(mirrored.store, work) == current_values(source.store, work)
    assert changes(mirrored.url) == changes(source.url)
    assert len(changes(source.url)) > 20

    # Nothing new: a further run loads nothing and stays equal.
    mirrored.store.close()  # RocksDB: one process, one open store
    report = run_mirror(capsys, source.url, target)
    assert report["deltas"] == [] and report["tailFeeds"] == 0 and report["sequence"] == 6


def test_mirror_of_a_fresh_empty_server_is_empty(serve, tmp_path: Path, capsys) -> None:
    source = serve("source")
    make_snapshot(source.store, source.settings)  # the empty snapshot of a fresh install
    report = run_mirror(capsys, source.url, "memory:")
    assert report["snapshot"] is None and report["sequence"] == 0
