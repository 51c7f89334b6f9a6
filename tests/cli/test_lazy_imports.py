"""``alm-ld --help`` and ``alm-ld validate`` start without the heavy libraries.

Every CLI run pays for what ``alm_ld.cli`` imports, so each ``*_cmd`` module imports its
libraries inside the function that runs the command (issue 15). These tests run the real
command in a fresh interpreter and look at ``sys.modules`` when it ends: a behaviour test (which
libraries were loaded), not a timing test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("flask", "werkzeug", "pyoxigraph", "oxrdflib", "rdflib", "pyshacl", "requests",
         "pyld", "jsonschema", "pyparsing")
"""Never needed to print help or to build the parser."""

VALIDATE_HEAVY = ("flask", "werkzeug", "pyoxigraph", "oxrdflib", "rdflib", "pyshacl", "requests",
                  "pyld")
"""Never needed to validate a JSON feed (``alm_ld.vocab`` builds its rdflib names on first
use; jsonschema only for a feed with schema errors)."""

_PROBE = """
import json, sys
from alm_ld.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + json.dumps(sorted(m.split(".")[0] for m in sys.modules)) + "\\n")
sys.exit(code or 0)
"""


def run_cli(*argv: str) -> tuple[int, str, set[str]]:
    """Run ``alm-ld ARGV`` in a new interpreter: exit code, stdout, top-level modules loaded."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, timeout=60)
    marker = done.stderr.rsplit("MODULES ", 1)
    assert len(marker) == 2, done.stderr
    return done.returncode, done.stdout, set(json.loads(marker[1]))


def test_help_imports_no_heavy_library() -> None:
    code, out, modules = run_cli("--help")
    assert code == 0 and "validate" in out and "harvest" in out
    assert "alm_ld" in modules  # the probe sees what the command loaded
    assert sorted(modules.intersection(HEAVY)) == []


@pytest.mark.parametrize("command", ["validate", "ingest", "query", "dump", "load", "serve"])
def test_command_help_imports_no_heavy_library(command: str) -> None:
    code, out, modules = run_cli(command, "--help")
    assert code == 0 and f"alm-ld {command}" in out
    assert sorted(modules.intersection(HEAVY)) == []


def test_harvest_help_still_lists_the_providers() -> None:
    """Its epilog is built when shown (that one imports the harvesters, and may)."""
    code, out, _ = run_cli("harvest", "--help")
    assert code == 0
    assert "Providers: crossref, crossref-events," in " ".join(out.split())
    assert "1000 events per page" in " ".join(out.split())


def test_validate_json_feed_imports_no_server_store_or_http_library(tmp_path: Path) -> None:
    from benchmarks.datagen import single_feed

    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(single_feed(10, tag="lazy")), encoding="utf-8")
    code, out, modules = run_cli("validate", str(feed))
    assert code == 0 and "valid (base profile)" in out
    assert sorted(modules.intersection(VALIDATE_HEAVY)) == []


def test_validate_still_reports_an_invalid_feed(tmp_path: Path) -> None:
    feed = tmp_path / "bad.json"
    feed.write_text(json.dumps({"@context": "https://w3id.org/alm-ld/context/v1.jsonld",
                                "items": "not a list"}), encoding="utf-8")
    code, out, modules = run_cli("validate", str(feed))
    assert code == 1 and "INVALID" in out
    assert sorted(modules.intersection(VALIDATE_HEAVY)) == []


def test_choices_spelled_in_the_cli_match_the_validator() -> None:
    from alm_ld.cli import validate_cmd
    from alm_ld.validation.feed_input import INPUT_FORMATS
    from alm_ld.validation.schema_check import PROFILES

    assert tuple(PROFILES) == validate_cmd.PROFILES
    assert tuple(INPUT_FORMATS) == validate_cmd.INPUT_FORMATS
