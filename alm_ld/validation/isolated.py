"""SHACL checks of feeds sent over HTTP, each in a child process with a deadline.

Why a child process: pySHACL is pure Python and needs about a quarter of a millisecond of CPU
per triple (≈ 12 s for a graph at the 50,000-triple limit, more on a loaded machine). Run inline
in the serving process it would hold the GIL for that long and delay every other request, and
nothing could stop it at a deadline. A child process uses another core, can be killed when the
deadline passes, and has its address space capped; at most ``Settings.validate_workers`` run at
once per serving process (waiting for a slot counts against the deadline, then
:class:`~alm_ld.errors.ValidatorBusy`). The CLI checks in-process: it is the user's own machine.

The child is ``python -m alm_ld.validation.isolated SYNTAX PROFILE MAX_BODY SIZE`` with the feed
on stdin; it prints the report as JSON on stdout. A check that runs out of time or memory is a
report with one problem saying so and what to do (split the feed, or validate it locally), like
a feed over the size limit: the answer to ``POST /validate`` stays a report, never a 500.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

from alm_ld.config import Settings
from alm_ld.errors import UsageError, ValidatorBusy
from alm_ld.validation.problems import Problem, Report

CHILD_MEMORY_BYTES = 3 * 1024**3
"""Address-space cap of a checking child: rdflib holds a 50,000-triple graph in a few hundred MB;
a graph built to exhaust memory fails alone instead of taking the server with it."""

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(workers: int) -> threading.BoundedSemaphore:
    """One semaphore per configured size, shared by every app of this process."""
    with _slots_lock:
        return _slots.setdefault(workers, threading.BoundedSemaphore(max(1, workers)))


def _problem(rule: str, message: str) -> Problem:
    return Problem("$", rule, message)


def validate_rdf_isolated(data: bytes, syntax: str, profile: str, *, settings: Settings,
                          size: int | None = None) -> Report:
    """:func:`~alm_ld.validation.rdf_feed.validate_rdf_feed` in a child process, within
    ``settings.validate_timeout`` seconds (waiting for a free slot included)."""
    from alm_ld.validation.rdf_feed import SYNTAXES
    from alm_ld.validation.schema_check import PROFILES

    if profile not in PROFILES:  # the usage errors the child would raise, raised here
        raise UsageError(f"Unknown profile {profile!r}; use one of: {', '.join(PROFILES)}.")
    if syntax not in SYNTAXES:
        raise UsageError(f"Unknown RDF syntax {syntax!r}; use one of: {', '.join(SYNTAXES)}.")
    deadline = time.monotonic() + settings.validate_timeout
    slot = _slot(settings.validate_workers)
    if not slot.acquire(timeout=max(0.0, settings.validate_timeout)):
        raise ValidatorBusy(
            f"All {settings.validate_workers} SHACL check slot(s) stayed busy for "
            f"{settings.validate_timeout:g} s (ALM_LD_VALIDATE_WORKERS, ALM_LD_VALIDATE_TIMEOUT)."
            " Try again shortly, or validate locally with `alm-ld validate`.")
    try:
        command = [sys.executable, "-m", __name__, syntax, profile, str(settings.max_body),
                   str(size or 0)]
        try:
            done = subprocess.run(command, input=data, capture_output=True,
                                  timeout=max(0.1, deadline - time.monotonic()), check=False)
        except subprocess.TimeoutExpired:  # subprocess.run has killed the child
            return Report(profile, [_problem(
                "too-costly",
                f"Checking this graph against the SHACL shapes took longer than "
                f"{settings.validate_timeout:g} s here (ALM_LD_VALIDATE_TIMEOUT), so it was "
                "stopped. Split it into smaller feeds, or validate it locally with `alm-ld "
                "validate`, which has no deadline.")])
    finally:
        slot.release()
    if done.returncode != 0:
        return Report(profile, [_problem(
            "too-costly",
            "The SHACL check of this graph stopped before it finished (it needed more memory "
            "than a check may use here). Split it into smaller feeds, or validate it locally "
            "with `alm-ld validate`.")])
    return _report(json.loads(done.stdout))


def _report(doc: dict[str, Any]) -> Report:
    return Report(doc["profile"], [Problem(**p) for p in doc["problems"]])


def _as_dict(report: Report) -> dict[str, Any]:
    return {"profile": report.profile, "problems": [
        {"path": p.path, "rule": p.rule, "message": p.message, "severity": p.severity,
         "focus_node": p.focus_node, "result_path": p.result_path} for p in report.problems]}


def _child(argv: list[str]) -> int:
    import resource

    from alm_ld.validation.rdf_feed import validate_rdf_feed

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    syntax, profile, max_body, size = argv[0], argv[1], int(argv[2]), int(argv[3])
    data = sys.stdin.buffer.read()
    report = validate_rdf_feed(data, syntax, profile, settings=Settings(max_body=max_body),
                               size=size or None)
    sys.stdout.write(json.dumps(_as_dict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
