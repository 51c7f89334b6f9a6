"""The CLI as a user meets it (issue 13): one-line errors, advice in the CLI's own words, folders,
real sizes, and progress that only a terminal sees and that never shares a line with a result.
Every test runs the installed ``alm-ld`` console script as a subprocess."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from alm_ld.jsonld import to_rdf_nquads
from alm_ld.resources import examples_dir

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _one_error_line(stderr: str, title: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"alm-ld: {title}: "), lines[0]
    return lines[0]


def _feed(tmp_path: Path, name: str, items: int = 0) -> Path:
    doc = json.loads((examples_dir() / "valid-base.json").read_text(encoding="utf-8"))
    doc["id"] = f"urn:uuid:00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}"
    if items:
        count = doc["items"][0]
        doc["items"] = [dict(count, work=f"https://doi.org/10.5555/{i}") for i in range(items)]
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# ---- one line per error ------------------------------------------------------------------------

def test_malformed_query_is_one_line_without_the_parser_dump(run, tmp_path):
    store = {"ALM_LD_STORE": f"oxigraph:{tmp_path}/store"}
    result = run("query", "SELECT * WHERE { ?s ?p ?o", env=store)
    assert result.returncode == 1
    line = _one_error_line(result.stderr, "Malformed query")
    assert "error at 1:" in line and "\\u{" not in line and len(line) < 300


@pytest.mark.parametrize("args, title, code", [
    (("--bogus",), "Usage error", 2),
    (("validate",), "Usage error", 2),
    (("validate", "no-such-file.json"), "Bad request", 2),
    (("query", "@no-such-query.rq"), "Bad request", 2),
])
def test_usage_errors_are_one_line(run, args, title, code):
    result = run(*args)
    assert result.returncode == code
    _one_error_line(result.stderr, title)


def test_invalid_feed_in_ingest_is_one_line_and_all_problems_are_in_the_json(run, tmp_path):
    bad = tmp_path / "bad.json"
    shutil.copy(examples_dir() / "invalid-period-order.json", bad)
    result = run("ingest", str(bad))
    assert result.returncode == 1
    line = _one_error_line(result.stderr, "Invalid feed")
    assert str(bad) in line
    [out] = [json.loads(x) for x in result.stdout.splitlines()]
    assert out["status"] == "invalid" and out["problems"][0]["rule"] == "period-order"


# ---- advice in the CLI's words -------------------------------------------------------------------

@pytest.mark.parametrize("query, fmt, advice", [
    ("SELECT * WHERE { ?s ?p ?o }", "turtle", "--format json, csv, tsv, xml"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "csv", "--format turtle, ntriples, rdfxml, jsonld"),
])
def test_query_format_mismatch_suggests_format_values(run, query, fmt, advice):
    result = run("query", query, "--format", fmt)
    assert result.returncode == 2
    line = _one_error_line(result.stderr, "Bad request")
    assert advice in line and "application/" not in line and "text/" not in line


# ---- folders -------------------------------------------------------------------------------------

def test_ingest_a_folder_ingests_its_feeds(run, tmp_path):
    folder = tmp_path / "feeds"
    folder.mkdir()
    _feed(folder, "a.json")
    _feed(folder, "b.jsonld")
    (folder / "notes.txt").write_text("not a feed", encoding="utf-8")
    result = run("ingest", str(folder))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["status"] for x in lines] == ["created", "created"]
    assert result.stderr == ""


def test_ingest_a_folder_without_feeds_says_so(run, tmp_path):
    result = run("ingest", str(tmp_path))
    assert result.returncode == 2
    line = _one_error_line(result.stderr, "Bad request")
    assert "is a directory with no feed files" in line


# ---- real sizes ----------------------------------------------------------------------------------

def test_too_large_reports_the_real_size(run, tmp_path):
    big = _feed(tmp_path, "big.json", items=40)
    size = big.stat().st_size
    small = {"ALM_LD_MAX_BODY": "1000"}
    for result in (run("validate", str(big), env=small),
                   run("validate", "-", env=small, stdin=big.read_bytes()),
                   run("ingest", str(big), env=small)):
        assert result.returncode == 1
        assert f"The feed is {size} bytes; the limit is 1000 bytes" in (
            result.stdout + result.stderr)
        assert "1001 bytes" not in result.stdout + result.stderr


# ---- a feed as RDF -------------------------------------------------------------------------------

def test_validate_rdf_by_extension_flag_and_first_bytes(run, tmp_path):
    doc = json.loads((examples_dir() / "invalid-period-order.json").read_text(encoding="utf-8"))
    graph = Graph().parse(data=to_rdf_nquads(doc), format="nt")
    ttl = tmp_path / "feed.ttl"
    graph.serialize(ttl, format="turtle")
    rdf = graph.serialize(format="xml", encoding="utf-8")
    for result in (run("validate", str(ttl), "--format", "json"),
                   run("validate", "-", "--format", "json", stdin=rdf),
                   run("validate", "-", "--input-format", "rdfxml", "--format", "json",
                       stdin=rdf)):
        assert result.returncode == 1, result.stderr
        [problem] = json.loads(result.stdout)["problems"]
        assert problem["rule"] == "period-order" and problem["resultPath"] == "alm:periodStart"
    good = Graph().parse(data=to_rdf_nquads(json.loads(
        (examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))), format="nt")
    nt = tmp_path / "good.nt"
    nt.write_bytes(good.serialize(format="nt", encoding="utf-8"))
    result = run("validate", str(nt), "--profile", "strict")
    assert result.returncode == 0 and "valid (strict profile)" in result.stdout


# ---- progress ------------------------------------------------------------------------------------

def test_no_progress_without_a_terminal(run, tmp_path):
    files = [str(_feed(tmp_path, f"f{i}.json")) for i in range(3)]
    result = run("ingest", *files)
    assert result.returncode == 0 and result.stderr == ""
    assert len([json.loads(x) for x in result.stdout.splitlines()]) == 3


def test_progress_and_result_lines_never_share_a_line(run_on_tty, tmp_path):
    files = [str(_feed(tmp_path, f"f{i}.json", items=300)) for i in range(4)]
    code, shown, _ = run_on_tty("ingest", *files,
                                env={"ALM_LD_STORE": f"oxigraph:{tmp_path}/store"})
    assert code == 0, shown
    text = ANSI.sub("", shown)
    assert "feed [" in text  # the bar: "<file>: <stage> n/4 feed [elapsed]"
    results = []
    for segment in re.split(r"[\r\n]+", text):
        if '"status"' in segment:
            assert segment.startswith("{"), repr(segment)  # nothing of the bar before it
            results.append(json.loads(segment))
    assert [r["status"] for r in results] == ["created"] * 4


def test_one_large_feed_shows_its_stage_and_elapsed_time(run_on_tty, tmp_path):
    big = _feed(tmp_path, "big.json", items=5000)
    store = {"ALM_LD_STORE": f"oxigraph:{tmp_path}/store"}  # memory: takes minutes for 5,000
    code, shown, out = run_on_tty("ingest", str(big), stdout_on_tty=False, env=store)
    assert code == 0, shown
    assert "big.json: validating and storing 5,000 items" in shown
    assert re.search(r"\[\d\d:\d\d\]", shown)
    assert json.loads(out)["status"] == "created"  # standard output stays clean JSON
