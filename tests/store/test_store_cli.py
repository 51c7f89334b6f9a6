"""The ingest, query, dump and load commands, as a user runs them (on-disk oxigraph stores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Dataset
from rdflib.compare import isomorphic

from alm_ld.cli import main
from alm_ld.pipeline import feeds_by_sequence
from alm_ld.resources import examples_dir
from alm_ld.store import open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_ingest_prints_one_summary_per_feed_and_continues_after_invalid(tmp_path, capsys):
    spec = f"oxigraph:{tmp_path / 'store'}"
    files = [str(FIXTURES / "feed-crossref-1.json"),
             str(examples_dir() / "invalid-negative-value.json"),
             str(FIXTURES / "feed-crossref-2.json")]
    assert main(["ingest", *files, "--store", spec]) == 1
    out = capsys.readouterr()
    lines = _lines(out.out)
    assert [line["status"] for line in lines] == ["created", "invalid", "created"]
    assert lines[0] == {"id": "urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a11", "items": 4,
                        "observations": 2, "events": 2, "status": "created"}
    assert lines[1]["problems"][0]["path"] == "$.items[0].value"
    assert "below the minimum" in out.err
    assert main(["ingest", files[0], "--store", spec]) == 0
    assert _lines(capsys.readouterr().out)[0]["status"] == "unchanged"


def test_ingest_of_many_files_keeps_their_order_while_it_writes_ahead(tmp_path, capsys):
    """Several files are one batch (alm_ld.pipeline.batch): the next files are prepared
    while earlier ones are written, and every line still comes in the order of the files,
    whatever each file's fate; the store ends with the created feeds in that order."""
    from tests.analytics.feeds import count, feed

    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = [feed([count(f"https://doi.org/10.5555/cli.{n}", n + 1, "2026-05-01")])
            for n in range(5)]
    clash = dict(docs[0], items=[count("https://doi.org/10.5555/cli.9", 9, "2026-05-01")])
    names = []
    for name, doc in (("a", docs[0]), ("b", docs[1]), ("missing", None), ("c", docs[2]),
                      ("bad", {"not": "a feed"}), ("d", docs[3]), ("clash", clash),
                      ("a-again", docs[0]), ("e", docs[4])):
        path = tmp_path / f"{name}.json"
        if doc is not None:
            path.write_text(json.dumps(doc), encoding="utf-8")
        names.append(str(path))
    assert main(["ingest", *names, "--store", spec]) == 2  # a missing file: usage error
    lines = _lines(capsys.readouterr().out)
    assert [line["status"] for line in lines] == [
        "created", "created", "error", "created", "invalid", "created", "conflict",
        "unchanged", "created"]
    assert [line.get("file") for line in lines if "file" in line] == [
        names[2], names[4], names[6]]
    assert [line.get("id") for line in lines if line["status"] == "created"] == [
        doc["id"] for doc in docs]
    store = open_store(spec)
    try:
        assert feeds_by_sequence(store) == {n + 1: doc["id"] for n, doc in enumerate(docs)}
    finally:
        store.close()


def test_ingest_of_many_files_stops_at_a_failed_write_and_names_its_files(
        tmp_path, capsys, monkeypatch):
    """The store fails the write holding several files (prepared while the one before was
    written, then written together): each of them gets an error line, the files after them
    are not ingested, the command exits 4, and the file written before is kept."""
    from tests.analytics.feeds import count, feed
    from tests.support.slow_writes import failing_second_write

    writes = failing_second_write(monkeypatch, pause=0.3)
    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = [feed([count(f"https://doi.org/10.5555/fail.{n}", n + 1, "2026-05-01")])
            for n in range(5)]
    names = []
    for n, doc in enumerate(docs):
        names.append(str(tmp_path / f"{n}.json"))
        Path(names[-1]).write_text(json.dumps(doc), encoding="utf-8")
    assert main(["ingest", *names, "--store", spec]) == 4
    out = capsys.readouterr()
    lines = _lines(out.out)
    assert lines[0]["status"] == "created" and lines[0]["id"] == docs[0]["id"]
    assert [line["file"] for line in lines[1:]] == names[1:]  # one line each, in order
    failed = [line["file"] for line in lines[1:] if line["status"] == "error"]
    assert all("disk went away" in line["detail"] for line in lines[1:1 + len(failed)])
    assert len(failed) >= 2 and failed == names[1:1 + len(failed)]  # one write, in order
    assert all(line["status"] == "skipped" and names[1] in line["detail"]
               for line in lines[1 + len(failed):])
    assert len(writes) == 2 and "disk went away" in out.err
    monkeypatch.undo()
    store = open_store(spec)
    try:
        assert feeds_by_sequence(store) == {1: docs[0]["id"]}
    finally:
        store.close()


def test_files_prepared_after_a_failed_write_and_those_never_read_are_named_skipped(
        tmp_path, capsys, monkeypatch):
    """One feed per write (GROUP_QUADS lowered): the second write fails while the third file
    is already prepared and the fourth is being added. The third (prepared, dropped: it was
    derived from a store that was to hold the second) and every later file get a ``skipped``
    line naming the file the store failed on; none of them is stored."""
    from alm_ld.pipeline import batch
    from tests.analytics.feeds import count, feed
    from tests.support.slow_writes import failing_second_write

    failing_second_write(monkeypatch, pause=0.2)
    monkeypatch.setattr(batch, "GROUP_QUADS", 1)  # every feed is a write of its own
    spec = f"oxigraph:{tmp_path / 'store'}"
    names = []
    for n in range(6):
        names.append(str(tmp_path / f"{n}.json"))
        doc = feed([count(f"https://doi.org/10.5555/skip.{n}", n + 1, "2026-05-01")])
        Path(names[-1]).write_text(json.dumps(doc), encoding="utf-8")
    assert main(["ingest", *names, "--store", spec]) == 4
    lines = _lines(capsys.readouterr().out)
    assert [line["status"] for line in lines] == ["created", "error"] + ["skipped"] * 4
    assert [line["file"] for line in lines[1:]] == names[1:]
    assert all(names[1] in line["detail"] and "again" in line["detail"] for line in lines[2:])
    monkeypatch.undo()
    store = open_store(spec)
    try:
        assert len(feeds_by_sequence(store)) == 1
    finally:
        store.close()


def test_query_formats_and_errors(tmp_path, capsys):
    spec = f"oxigraph:{tmp_path / 'store'}"
    main(["ingest", str(FIXTURES / "feed-crossref-1.json"), "--store", spec])
    capsys.readouterr()
    query = "SELECT ?s WHERE { ?f <https://w3id.org/alm-ld/vocab#sequence> ?s }"
    assert main(["query", query, "--format", "csv", "--store", spec]) == 0
    assert capsys.readouterr().out.splitlines() == ["s", "1"]
    query_file = tmp_path / "q.rq"
    query_file.write_text(query)
    assert main(["query", f"@{query_file}", "--store", spec]) == 0
    assert json.loads(capsys.readouterr().out)["results"]["bindings"][0]["s"]["value"] == "1"
    assert main(["query", "SELECT ?s WHERE {", "--store", spec]) == 1
    assert "Malformed query" in capsys.readouterr().err
    assert main(["query", query, "--format", "turtle", "--store", spec]) == 2


def test_dump_then_load_into_empty_store_is_isomorphic(tmp_path, capsys):
    source, target = f"oxigraph:{tmp_path / 'a'}", f"oxigraph:{tmp_path / 'b'}"
    main(["ingest", str(FIXTURES / "feed-crossref-1.json"),
          str(FIXTURES / "feed-crossref-2.json"), "--store", source])
    dump, again = tmp_path / "dump.trig", tmp_path / "again.trig"
    assert main(["dump", "--format", "trig", "--output", str(dump), "--store", source]) == 0
    assert main(["load", str(dump), "--store", target]) == 0
    assert main(["dump", "--format", "trig", "-o", str(again), "--store", target]) == 0
    first, second = Dataset(), Dataset()
    first.parse(dump, format="trig")
    second.parse(again, format="trig")
    names = {g.identifier for g in first.graphs() if len(g)}
    assert names == {g.identifier for g in second.graphs() if len(g)}
    for name in names:
        assert isomorphic(first.graph(name), second.graph(name))
    assert main(["load", str(tmp_path / "missing.nq"), "--store", target]) == 2


def _bad_dump(tmp_path: Path, good_lines: int, fmt: str) -> Path:
    """``good_lines`` valid quads in graph <http://example.org/g>, then one broken line."""
    lines = [f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" <http://example.org/g> ."
             for i in range(good_lines)]
    if fmt == "trig":
        body = "\n".join(line.replace(" <http://example.org/g> .", " .") for line in lines)
        text = "<http://example.org/g> {\n" + body + "\n<http://example.org/x> <http://e/p> \n"
        path = tmp_path / "bad.trig"
    else:
        text = "\n".join(lines) + "\n<http://example.org/x> <http://e/p> \"unterminated .\n"
        path = tmp_path / "bad.nq"
    path.write_text(text, encoding="utf-8")
    return path


def _graph_size(spec: str) -> int:
    from alm_ld.store import open_store

    with open_store(spec) as store:
        result = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g> "
                             "{ ?s ?p ?o } }")
    return int(result.rows[0]["n"])


@pytest.mark.parametrize("backend", ["oxigraph", "memory", "sparql"])
@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_load_of_a_malformed_dump_is_one_line_exit_1_and_loads_nothing(
        backend, fmt, tmp_path, capsys, request):
    spec = {"oxigraph": f"oxigraph:{tmp_path / 'store'}", "memory": "memory:"}.get(backend)
    if spec is None:
        spec = request.getfixturevalue("sparql_store_spec")
    good = 20000  # large enough that a non-atomic load would have written part of it
    path = _bad_dump(tmp_path, good, fmt)
    assert main(["load", str(path), "--store", spec]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    name = "N-Quads" if fmt == "nquads" else "TriG"
    assert err.startswith(f"alm-ld: Invalid dump: The file is not valid {name}: ")
    assert any(f"line {n}" in err for n in range(good + 1, good + 4)), err
    assert err.rstrip().endswith("Nothing was loaded.")
    if backend != "memory":  # memory: lives only as long as the command
        assert _graph_size(spec) == 0
        good_file = tmp_path / "good.nq"
        good_file.write_text('<http://example.org/s> <http://example.org/p> "1" '
                             '<http://example.org/g> .\n')
        assert main(["load", str(good_file), "--store", spec]) == 0
        assert _graph_size(spec) == 1


def test_load_of_a_missing_or_folder_file_is_a_usage_error(tmp_path, capsys):
    spec = f"oxigraph:{tmp_path / 'store'}"
    for name in (str(tmp_path / "missing.nq"), str(tmp_path)):
        assert main(["load", name, "--store", spec]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("alm-ld: Bad request: No such dump file")
