"""Collecting results and writing them: a console table, JSON and a Markdown table.

Every measurement is a :class:`Row`. Times are seconds (lower is better); throughputs
(``unit`` ending in ``/s``) are higher-is-better. A row that has a baseline carries the
**ratio** measured in the same run, always phrased so that > 1 means alm-ld is better:
``baseline time / alm-ld time`` for times, ``alm-ld rate / baseline rate`` for rates.
"""

from __future__ import annotations

import contextlib
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    group: str
    name: str
    size: str
    min: float | None
    median: float | None
    unit: str = "s"
    runs: int = 1
    baseline: str | None = None
    baseline_min: float | None = None
    baseline_median: float | None = None
    ratio: float | None = None
    target: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def compute_ratio(self) -> None:
        if self.median is None or self.baseline_median is None:
            return
        if self.unit.endswith("/s"):
            self.ratio = self.median / self.baseline_median if self.baseline_median else None
        else:
            self.ratio = self.baseline_median / self.median if self.median else None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        row.compute_ratio()
        self.rows.append(row)
        print(format_row(row), flush=True)
        return row

    def skip(self, group: str, name: str, size: str, reason: str) -> None:
        self.add(Row(group, name, size, None, None, runs=0, note=f"skipped: {reason}"))


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return "—"
    return f"{row.ratio:.2f}×" if row.ratio < 1 else f"{row.ratio:.1f}×"


def format_row(row: Row) -> str:
    base = ""
    if row.baseline:
        base = f" | vs {row.baseline}: {_num(row.baseline_median, row.unit)} → {_ratio(row)}"
    note = f"  ({row.note})" if row.note else ""
    return (f"[{row.group}] {row.name} @ {row.size}: min {_num(row.min, row.unit)}, median "
            f"{_num(row.median, row.unit)} ×{row.runs}{base}{note}")


def markdown(report: Report) -> str:
    lines = ["| group | measurement | size | min | median | runs | baseline (median) | ratio "
             "| target | note |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.rows:
        base = f"{r.baseline}: {_num(r.baseline_median, r.unit)}" if r.baseline else "—"
        lines.append(
            f"| {r.group} | {r.name} | {r.size} | {_num(r.min, r.unit)} | "
            f"{_num(r.median, r.unit)} | {r.runs} | {base} | {_ratio(r)} | {r.target or ''} | "
            f"{r.note.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpu.splitlines()
                            if line.startswith("model name")), "?")
        info["cores"] = cpu.count("processor\t:")
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True, check=False,
                                        timeout=5).stdout.strip()
    return info


def write(report: Report, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """``<stem>.json`` and ``<stem>.md`` in ``out_dir`` (also copied to ``latest.*``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report.meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc = {"meta": report.meta, "rows": [asdict(r) for r in report.rows]}
    text = json.dumps(doc, indent=1, default=str)
    md = (f"Run {report.meta.get('finished')} on {report.meta.get('machine', {}).get('cpu', '?')}"
          f" ({report.meta.get('machine', {}).get('cores', '?')} cores), options "
          f"{report.meta.get('options')}\n\n" + markdown(report))
    paths = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    paths[0].write_text(text, encoding="utf-8")
    paths[1].write_text(md, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    (out_dir / "latest.md").write_text(md, encoding="utf-8")
    return paths
