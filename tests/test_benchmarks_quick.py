"""The benchmark harness still runs end to end (``python -m benchmarks --quick``).

No timing assertions: speed is reported by the benchmarks, never enforced by tests. This only
checks that every measurement ran and that the JSON and Markdown tables were written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_writes_its_tables(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--repeat", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    groups = {row["group"] for row in doc["rows"]}
    assert groups >= {"ingest", "bulk", "aggregates", "http", "tools"}
    names = " ".join(row["name"] for row in doc["rows"])
    for expected in ("ingest one feed", "bulk ingest throughput", "peak RSS", "top-10 cited",
                     "related works", "GET /works", "point SELECT", "alm-ld validate",
                     "/changes paging", "alm-ld dump", "floor: `oxigraph load`"):
        assert expected in names
    ratios = [row for row in doc["rows"] if row["baseline"] and row["median"] is not None]
    assert ratios and all(row["ratio"] is not None for row in ratios)
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert table.count("\n|") >= len(doc["rows"]) + 1
    assert "| ratio |" in table


def test_stale_upkeep_benchmark_measures_all_three_rows(tmp_path: Path) -> None:
    out = tmp_path / "stale.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stale_bench", "--works", "60", "--repeat", "1",
         "--dir", str(tmp_path / "work"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    # the measured moment is the one the benchmark means: first-date feeds crossed, nothing
    # stale (the second date updated every pair)
    assert result["crossing_feeds"] >= 3 and result["stale_alerts"] == 0
    assert all(result[key]["n"] == 1 for key in ("whole", "kept", "catch_up"))
    assert "| kept, per ingest" in done.stdout and "| whole recomputation" in done.stdout


def _stage_profile(*args: str) -> tuple[str, str, str]:
    """The printed passes of ``benchmarks.ingest_stages --compare ARGS``: (by state, by
    history, the comparison)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest_stages", "--compare", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    by_state, by_history = done.stdout.split("whole history:")
    by_history, compared = by_history.split("history ÷ state")
    return by_state, by_history, compared


def rows(text: str) -> list[str]:
    """The table rows of one block of feeds each."""
    return [line for line in text.splitlines() if line.startswith("| ") and "–" in line]


def test_ingest_stage_profile_prints_a_row_per_block_of_feeds() -> None:
    by_state, by_history, compared = _stage_profile(
        "--works", "60", "--dates", "2", "--every", "3", "--feed-size", "60")
    # 60 works × 2 dates: 4 count feeds of 60 items per date and one of 60 Events = 9 feeds
    assert [row.split(" | ")[0] for row in rows(by_state)] == ["| 1–3", "| 4–6", "| 7–9"]
    # the store write is timed (small feeds go through the transactional load); the second
    # date's held pairs come from their states, or, in the reference pass, their history
    assert "load " in rows(by_state)[0] and "held_pairs" in rows(by_state)[-1]
    assert "read_observations" not in rows(by_state)[-1]
    assert "read_observations" in rows(by_history)[-1]
    assert len(rows(compared)) == 3 and all(row.endswith("× |") for row in rows(compared))


def test_ingest_stage_profile_over_a_shared_store_compares_the_two_publications() -> None:
    """``--shared``: a new ``oxigraph serve`` per pass; feeds published with their derived
    data, then (the "before") alone with it computed after from the histories."""
    by_state, by_history, compared = _stage_profile(
        "--works", "30", "--dates", "2", "--every", "4", "--feed-size", "30", "--shared")
    assert len(rows(by_state)) == len(rows(by_history)) == len(rows(compared)) >= 2
    assert any("derive_feed" in row for row in rows(by_state))  # derived before publishing ...
    assert not any("derive_feed" in row for row in rows(by_history))  # ... or after
    assert all(row.endswith("× |") for row in rows(compared))


def test_generated_period_ends_stay_monthly_up_to_6_dates_and_go_daily_beyond() -> None:
    from benchmarks.datagen import period_end

    assert [period_end(d, 6) for d in (0, 5)] == ["2026-01-28", "2026-06-28"]  # as always
    assert [period_end(d, 30) for d in (0, 1, 29)] == ["2026-01-01", "2026-01-02", "2026-01-30"]
    assert period_end(179, 180) == "2026-06-29"  # before the feeds' generated time
    with pytest.raises(ValueError):
        period_end(0, 181)
