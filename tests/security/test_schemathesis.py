"""schemathesis drives the real served process from its own ``/openapi.json`` and finds no 5xx
and no response the document does not promise (status code, media type, body schema).

Run as the ``schemathesis run`` CLI in a subprocess (the supported, self-contained entry point;
its JSON report is read back). The budget is bounded and deterministic: a fixed seed, at most
``MAX_EXAMPLES`` generated cases per operation plus the explicit examples and the coverage
phase, no shrinking, no example database, one worker; about 750 requests, ~20 s on the 2-core
CI machine.
``/changes/stream`` is excluded: an event stream never ends by design (its limits are tested in
the SSE tests). To reproduce a failure: the ``schemathesis run`` command line is in the message.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.security.conftest import TOKEN, Served

MAX_EXAMPLES = 10
SEED = 20261205
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
EXCLUDED = ("/changes/stream",)
BUDGET_SECONDS = 120


def _run(served: Served, tmp_path: Path) -> tuple[dict, str, float]:
    report = tmp_path / "schemathesis.json"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run",
        served.url + "/openapi.json",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--no-shrink", "--generation-database", "none",
        "--header", f"Authorization: Bearer {TOKEN}",
        "--request-timeout", "20", "--max-redirects", "0",
        # one worker: with two, hypothesis' lambda descriptions call ast.parse from two threads
        # and CPython 3.11 fails ("AST constructor recursion depth mismatch"), a tool error
        "--workers", "1", "--continue-on-failure", "--no-color",
        "--report", "json", "--report-json-path", str(report),
    ]
    for path in EXCLUDED:
        command += ["--exclude-path", path]
    started = time.monotonic()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          timeout=BUDGET_SECONDS + 60)
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    assert report.exists(), output[-4000:]
    return json.loads(report.read_text()), output, elapsed


def test_schemathesis_finds_no_5xx_and_no_contract_violation(served: Served,
                                                              tmp_path: Path) -> None:
    result, output, elapsed = _run(served, tmp_path)
    assert result["exit_code"] == 0 and not result["failures"] and not result["errors"], \
        output[-6000:]
    documented = len(served.get("/openapi.json").json()["paths"])
    operations = result["operations"]
    # every documented operation but the excluded ones was tested (a document that silently
    # lost operations would otherwise pass)
    assert operations["tested"] == operations["selected"] == operations["total"] - len(EXCLUDED)
    assert operations["total"] >= documented
    assert result["test_cases"]["generated"] >= 300
    assert elapsed < BUDGET_SECONDS, f"schemathesis took {elapsed:.0f} s"
    assert served.alive()
