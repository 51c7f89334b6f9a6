"""The command-line and feed-reader paths: ``alm-ld validate``, ``alm-ld dump``, ``/changes``."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.datagen import single_feed
from benchmarks.report import Report, Row
from benchmarks.timing import repeat_timed, summary


def alm_ld_command() -> list[str]:
    exe = Path(sys.executable).with_name("alm-ld")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "alm_ld"]


def validate_cli(report: Report, items: int, repeat: int, work_dir: Path) -> None:
    """``alm-ld validate FILE`` (process start included) vs one ``jsonschema.validate``."""
    import jsonschema

    from alm_ld.resources import load_json, schema_path

    doc = single_feed(items, tag="validate")
    path = work_dir / f"feed-{items}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    command = alm_ld_command() + ["validate", str(path)]

    def cli() -> None:
        subprocess.run(command, check=True, capture_output=True)

    def naive() -> None:
        schema = load_json(schema_path("feed-base.schema.json"))
        jsonschema.validate(json.loads(path.read_bytes()), schema,
                            format_checker=jsonschema.FormatChecker())

    cli()
    ours = summary(repeat_timed(cli, repeat))
    theirs = summary(repeat_timed(naive, max(1, repeat // 2)))
    report.add(Row("tools", "`alm-ld validate FILE` (whole process, base profile)",
                   f"{items} items", ours["min"], ours["median"], runs=ours["n"],
                   baseline="jsonschema.validate in-process (schema only, no semantic rules)",
                   baseline_min=theirs["min"], baseline_median=theirs["median"],
                   note=f"{path.stat().st_size / 1e6:.1f} MB feed"))


def dump_cli(report: Report, works: int, store_dir: Path, dump: Path, repeat: int) -> None:
    """``alm-ld dump -o FILE`` of the whole store (process start included)."""
    command = alm_ld_command() + ["dump", "--store", f"oxigraph:{store_dir}", "-o", str(dump)]
    times = repeat_timed(lambda: subprocess.run(command, check=True, capture_output=True),
                         repeat)
    ours = summary(times)
    size = dump.stat().st_size
    with dump.open("rb") as data:
        quads = sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))
    report.add(Row("tools", "`alm-ld dump` (N-Quads, whole store)", f"{works} works",
                   ours["min"], ours["median"], runs=ours["n"],
                   note=f"{quads} quads, {size / 1e6:.0f} MB, "
                        f"{quads / ours['median']:,.0f} quads/s"))


def changes_paging(report: Report, works: int, port: int, observations: int,
                   page_size: int = 1000, budget_s: float = 240.0) -> None:
    """Follow ``next`` links of ``/changes`` from the beginning until ``observations`` items
    (or ``budget_s`` seconds, or a failed page: then the row says how far it got)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    path = f"/changes?since=2000-01-01T00:00:00Z&limit={page_size}"
    seen = pages = 0
    problem = ""
    slowest = 0.0
    start = time.perf_counter()
    while seen < observations:
        if time.perf_counter() - start > budget_s:
            problem = f"stopped after the {budget_s:.0f} s budget"
            break
        page_start = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": "application/ld+json"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            problem = f"page {pages + 1} failed after {time.perf_counter() - page_start:.1f} s: "\
                      f"{error!r}"
            break
        slowest = max(slowest, time.perf_counter() - page_start)
        if response.status != 200:
            problem = f"page {pages + 1} answered {response.status}: {body[:200]!r}"
            break
        doc = json.loads(body)
        items = doc.get("orderedItems", [])
        pages += 1
        if not items:
            break
        seen += len(items)
        next_url = urlsplit(doc["next"])
        path = f"{next_url.path}?{next_url.query}"
    seconds = time.perf_counter() - start
    conn.close()
    report.add(Row("tools", f"/changes paging ({page_size} per page, waitress)",
                   f"{works} works", seen / seconds, seen / seconds, unit="items/s",
                   note=f"{seen} items in {pages} pages, {seconds:.1f} s, slowest page "
                        f"{slowest:.1f} s" + (f"; {problem}" if problem else "")))


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
