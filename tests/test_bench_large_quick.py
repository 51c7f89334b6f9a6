"""``make bench-large`` still runs end to end, at a tiny size (``--works 300``).

No timing assertions (speed is reported by the benchmark, never enforced by tests): this checks
that both sizes were ingested and measured, that the table has every row with a ratio, and that
the store folder is removed at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.large import INGEST_ROWS, LATENCY_ROWS

ROOT = Path(__file__).resolve().parent.parent


def test_bench_large_prints_every_row_for_both_sizes(tmp_path: Path) -> None:
    out = tmp_path / "numbers.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.large", "--works", "300", "--steps", "",
         "--repeat", "1", "--requests", "3", "--dir", str(tmp_path), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    final = done.stdout.split("## bench-large", 1)[1]
    assert "| 30 works min / median | 300 works min / median | ratio 300 / 30 (median) |" in final
    rows = {line.split(" | ")[0].lstrip("| "): line for line in final.splitlines()
            if line.startswith("| ") and not line.startswith("| measurement")}
    for name in [*INGEST_ROWS, *(label for _, label in LATENCY_ROWS)]:
        assert name in rows, f"missing row {name!r} in\n{final}"
        assert "—" not in rows[name], rows[name]  # both sizes measured, ratio computed
    for _, label in LATENCY_ROWS:
        assert "✔" in rows[label] or "✘" in rows[label]
    sizes = json.loads(out.read_text(encoding="utf-8"))["sizes"]
    assert [s["works"] for s in sizes] == [30, 300]
    assert [s["items"] for s in sizes] == [150, 1500]  # 5 items per work, after growing
    assert sizes[1]["quads"] > sizes[0]["quads"] > 0
    assert all(s["server_rss_mb"] > 20 and s["disk_bytes"] > 0 for s in sizes)  # measured
    assert not (tmp_path / "store").exists()  # removed without --keep
    assert not list(tmp_path.glob("store.*"))  # with the index and views beside it


def test_works_index_io_times_both_modes(tmp_path: Path) -> None:
    """``benchmarks.works_index_io`` runs both modes end to end at a tiny size."""
    from alm_ld.analytics.works_index import index_path, works_index
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed
    from alm_ld.store import open_store
    from tests.sets.conftest import SET_FEEDS

    spec = f"oxigraph:{tmp_path / 'store'}"
    with open_store(spec) as store:
        for one in SET_FEEDS:
            ingest_feed(store, one, settings=Settings(store=spec))
        works_index(store)
        path = index_path(store)
    assert path is not None
    runs = {"columns": ["columns", path, "--repeat", "1"],
            "write": ["write", "--rows", "300", "--held", "200", "--repeat", "1"]}
    for mode, args in runs.items():
        done = subprocess.run([sys.executable, "-m", "benchmarks.works_index_io", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        lines = [line for line in done.stdout.splitlines() if "min" in line and "median" in line]
        assert len(lines) == (3 if mode == "columns" else 2), done.stdout
    assert Path(path + ".columns.npz").is_file()
