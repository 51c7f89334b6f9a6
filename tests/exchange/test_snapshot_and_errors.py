"""``alm-ld snapshot``, ``serve --demo``/``--snapshot-every``, streaming writers, and the
errors of ``alm-ld mirror`` (sha256 mismatch, bad URL, unreachable service)."""

from __future__ import annotations

import gzip
import inspect
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from alm_ld.analytics.changes import feeds_from
from alm_ld.cli import main
from alm_ld.config import Settings
from alm_ld.exchange import writers
from alm_ld.exchange.snapshots import dumps_folder, make_snapshot, parse_duration
from alm_ld.resources import demo_dir
from alm_ld.store import open_store
from tests.processes import free_port, stop, wait_ready


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


class CountingStore:
    """A real store, counting the feed graphs read (``CONSTRUCT``s) as the writer asks."""

    def __init__(self, store: Any) -> None:
        self.store, self.constructs = store, 0

    def query_serialized(self, sparql: str, *args: Any, **kwargs: Any) -> Any:
        self.constructs += sparql.lstrip().startswith("CONSTRUCT")
        return self.store.query_serialized(sparql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_writers_stream_one_feed_graph_at_a_time(serve) -> None:
    """Structural: the writers are generators that read a feed only when its chunk is asked
    for, so a dump larger than memory is never built in memory (write_gzip consumes them)."""
    source = serve("stream")
    source.ingest("crossref.json", "datacite.json", "plos.json", "openalex.json")
    counting = CountingStore(source.store)
    feeds = feeds_from(source.store, 1)
    for make in (writers.nquads_chunks, writers.jsonld_lines):
        counting.constructs = 0
        chunks = make(counting, iter(feeds), writers.Counts())
        assert inspect.isgenerator(chunks) and counting.constructs == 0
        first = next(chunks)
        assert first and counting.constructs <= 2  # feed 1 (and its alert graph), no more
        rest = list(chunks)
        assert counting.constructs >= len(feeds) and len(rest) >= len(feeds) - 1
    csv_chunks = writers.current_values_csv(counting, 4, writers.Counts())
    assert inspect.isgenerator(csv_chunks)


def test_snapshot_command_writes_files_then_says_nothing_new(tmp_path: Path, capsys) -> None:
    spec, dumps = f"oxigraph:{tmp_path / 'store'}", tmp_path / "dumps"
    from alm_ld.cli.serve_cmd import ingest_demo
    settings = Settings(store=spec)
    with open_store(spec, settings=settings) as store:
        ingest_demo(settings, store)
    assert main(["snapshot", "--store", spec, "--dumps", str(dumps)]) == 0
    out = json.loads(capsys.readouterr().out)
    demo = len(list(demo_dir().glob("*.json")))  # every demo feed, one sequence each
    assert out["snapshot"] == f"snapshot-{demo:06d}" and out["sequence"] == {"first": 1,
                                                                            "last": demo}
    assert sorted(p.name for p in dumps.iterdir() if not p.name.startswith(".")) == sorted(
        [*out["files"], "index.json"])
    assert main(["snapshot", "--store", spec, "--dumps", str(dumps)]) == 0
    assert json.loads(capsys.readouterr().out)["snapshot"] is None
    # Default folder: beside the embedded store.
    assert dumps_folder(Settings(store=spec)) == str(tmp_path / "dumps")


def test_keep_deletes_older_snapshots_but_not_deltas(serve, capsys) -> None:
    source = serve("keep")
    dumps = Path(source.settings.dumps_dir)
    for name in ("crossref.json", "plos.json", "datacite.json"):
        source.ingest(name)
        make_snapshot(source.store, source.settings, keep=2)
    listed = sorted(p.name for p in dumps.iterdir() if not p.name.startswith("."))
    assert [n for n in listed if n.startswith("snapshot-")] == [
        f"snapshot-00000{i}.{ext}" for i in (2, 3) for ext in ("csv.gz", "jsonl.gz", "nq.gz")]
    assert [n for n in listed if n.startswith("delta-")] == [
        f"delta-00000{i}-00000{i}.{ext}" for i in (2, 3) for ext in ("jsonl.gz", "nq.gz")]
    manifest = get_json(f"{source.url}/dumps")
    assert [s["id"] for s in manifest["snapshots"]] == ["snapshot-000002", "snapshot-000003"]
    with urllib.request.urlopen(f"{source.url}/dumps/snapshot-000003.nq.gz") as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{source.url}/dumps/snapshot-000001.nq.gz")
    assert gone.value.code == 404
    assert main(["snapshot", "--store", "memory:", "--keep", "0",
                 "--dumps", str(dumps)]) == 2
    assert "at least the newest snapshot" in capsys.readouterr().err


def test_a_file_failing_its_sha256_is_refused_and_nothing_loaded(serve, tmp_path, capsys):
    source = serve("source")
    source.ingest("crossref.json", "plos.json")
    made = make_snapshot(source.store, source.settings)
    path = Path(source.settings.dumps_dir) / made["files"][0]["name"]
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # one flipped byte, same size
    path.write_bytes(bytes(data))
    target = f"oxigraph:{tmp_path / 'target'}"
    assert main(["mirror", source.url, "--store", target]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("alm-ld: Invalid dump: ")
    assert "snapshot-000002.nq.gz failed its check: sha256" in err and made["files"][0][
        "sha256"] in err
    with open_store(target) as store:
        assert feeds_from(store, 1) == []


def test_a_store_ahead_of_the_source_is_refused(serve, capsys) -> None:
    ahead, behind = serve("ahead"), serve("behind")
    ahead.ingest("crossref.json", "plos.json")
    behind.ingest("datacite.json")
    from alm_ld.errors import UsageError
    from alm_ld.exchange.mirror import mirror
    with pytest.raises(UsageError, match="holds feeds up to sequence 2 but"):
        mirror(behind.url, ahead.store, ahead.settings)


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["mirror", "ftp://example.org/"], 2, "not an http(s) URL"),
    (["mirror", "http://127.0.0.1:{port}/"], 3, "connection failed"),
    (["mirror", "http://127.0.0.1/", "--follow", "0"], 2, "--follow"),
    (["serve", "--snapshot-every", "soon", "--store", "memory:"], 2, "not a duration"),
    (["serve", "--snapshot-every", "1h", "--snapshot-keep", "0", "--store", "memory:"], 2,
     "--snapshot-keep must be 1 or more"),
])
def test_bad_mirror_and_snapshot_input_is_one_line_with_its_exit_code(
        argv, code, words, capsys) -> None:
    argv = [a.replace("{port}", str(free_port())) for a in argv]
    assert main([*argv, "--store", "memory:"] if argv[0] == "mirror" else argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_parse_duration() -> None:
    assert [parse_duration(t) for t in ("90", "90s", "15m", "6h", "1d")] == [
        90, 90, 900, 21600, 86400]
    for bad in ("", "0", "-5m", "1.5h", "²h", "h"):
        with pytest.raises(Exception, match="not a duration"):
            parse_duration(bad)


def test_serve_demo_snapshots_at_start_and_on_schedule(tmp_path: Path) -> None:
    port, dumps, temp = free_port(), tmp_path / "dumps", tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "ALM_LD_TOKENS": "t", "ALM_LD_DUMPS": str(dumps), "TMPDIR": str(temp)}
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--demo", "--store", "memory:",
             "--server", "dev", "--port", str(port), "--snapshot-every", "1s"],
            stdout=subprocess.DEVNULL, stderr=err, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base + "/healthz", "alm-ld serve", log=log)
        manifest = get_json(base + "/dumps/index.json")
        demo = len(list(demo_dir().glob("*.json")))  # every demo feed, one sequence each
        assert manifest["snapshots"][0]["sequence"] == {"first": 1, "last": demo}
        feed = json.loads((Path(__file__).parents[1] / "fixtures" / "web" /
                           "feed-small.json").read_text())
        request = urllib.request.Request(base + "/feeds", data=json.dumps(feed).encode(),
                                         headers={"Authorization": "Bearer t",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            manifest = get_json(base + "/dumps/index.json")
            if manifest["deltas"]:
                break
            time.sleep(0.2)
        assert [d["sequence"] for d in manifest["deltas"]] == [{"first": demo + 1,
                                                                "last": demo + 1}]
        with gzip.open(dumps / manifest["deltas"][0]["files"][0]["name"]) as data:
            assert data.read()
        # memory: keeps its works index in a private temp file while the server runs ...
        assert list(temp.glob("alm-ld-works-index-*.sqlite3"))
    finally:
        stop(process)
    # ... and a server stopped by SIGTERM removes it (werkzeug's default would not).
    assert not list(temp.glob("alm-ld-works-index-*")), list(temp.iterdir())


def test_files_end_before_a_feed_whose_alerts_are_not_written_yet(serve) -> None:
    """Feed graph first, alerts just after: a snapshot or tail cut between the two would carry
    the feed without its alerts for good, so it stops before it (for up to a minute)."""
    from datetime import timedelta

    from alm_ld.analytics.alerts import feed_alert_graph
    from alm_ld.analytics.timeutil import moment_of
    from alm_ld.exchange.snapshots import settled_watermark
    from alm_ld.sparql_text import iri

    source = serve("settle")
    source.ingest("crossref.json", "plos.json")
    newest = feeds_from(source.store, 2)[0]
    assert settled_watermark(source.store) == 2
    source.store.update(f"DROP GRAPH {iri(feed_alert_graph(newest.iri))}")  # "in progress"
    assert settled_watermark(source.store) == 1
    with urllib.request.urlopen(f"{source.url}/dumps/live?after=1") as response:
        assert response.read() == b""
    assert make_snapshot(source.store, source.settings)["sequence"]["last"] == 1
    later = moment_of(newest.ingested_at) + timedelta(seconds=61)
    assert settled_watermark(source.store, now=later) == 2  # an ingest that stopped for good
