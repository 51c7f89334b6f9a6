"""``alm-ld validate`` as a user runs it: a real subprocess, files and stdin, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alm_ld.resources import examples_dir

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alm_ld", "validate", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=60)


def test_valid_feed_exits_0_with_summary() -> None:
    result = run(str(examples_dir() / "valid-strict.json"), "--profile", "strict")
    assert result.returncode == 0, result.stderr
    assert "valid (strict profile): 0 error(s), 0 warning(s)" in result.stdout.decode()


def test_warnings_still_exit_0() -> None:
    result = run(str(examples_dir() / "valid-base-disclosure-typo.json"))
    assert result.returncode == 0
    out = result.stdout.decode()
    assert "$.disclosure.updateFrequncy: [disclosure-unknown-key]" in out
    assert "(warning)" in out


def test_invalid_feed_exits_1_with_one_line_per_problem() -> None:
    result = run(str(examples_dir() / "invalid-period-order.json"))
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("$.items[0].periodStart: [period-order] ")
    assert lines[0].endswith("(error)")
    assert "INVALID (base profile): 1 error(s)" in lines[-1]


def test_json_format_from_stdin() -> None:
    raw = (examples_dir() / "valid-base.json").read_bytes()
    result = run("-", "--profile", "strict", "--format", "json", stdin=raw)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert set(report) == {"valid", "profile", "problems"}
    assert report["valid"] is False and report["profile"] == "strict"
    assert {"path", "rule", "message", "severity"} == set(report["problems"][0])


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[" * 100000])
def test_garbage_on_stdin_is_invalid_not_a_crash(raw: bytes) -> None:
    result = run("-", stdin=raw)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("args", [("missing.json",), ("--bogus", "x.json"),
                                  ("--profile", "lax", "x.json"), ()])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_hostile_keys_and_values_print_one_line_per_problem(fmt: str) -> None:
    """Lone surrogates, C1 controls and newlines in keys and values: never a traceback, one
    line per problem (escaped as \\uXXXX), exit 1."""
    feed = ('{"@context":"https://w3id.org/alm-ld/context/v1.jsonld","type":"Feed",'
            '"id":"urn:x:\\u0085","provider":{"id":"https://e.org/\\ud800","name":"x\\ud800"},'
            '"generated":"2026-01-01T00:00:00Z","items":[],"a\\ud800\\u0085b":1,"c\\nd":2}')
    result = run("-", "--format", fmt, stdin=feed.encode("ascii"))
    stdout = result.stdout.decode("utf-8")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr.decode("utf-8", "replace")
    if fmt == "json":
        problems = json.loads(stdout)["problems"]
        assert {p["rule"] for p in problems} >= {"text", "schema.additionalProperties"}
    else:
        lines = stdout.splitlines()
        assert len(lines) >= 5 and all(line.startswith("$") for line in lines[:-1]), lines
        assert "\\u0085" in stdout and "\\ud800" in stdout
