"""The ingest, query, dump and load commands, as a user runs them (on-disk oxigraph stores)."""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Dataset
from rdflib.compare import isomorphic

from alm_ld.cli import main
from alm_ld.resources import examples_dir

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
