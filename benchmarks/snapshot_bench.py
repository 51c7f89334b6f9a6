"""Time of ``make_snapshot`` (what ``alm-ld snapshot`` runs) on a generated embedded store.

The store (``--works`` works of :mod:`benchmarks.datagen`, one date: 5 items per work) is built
once in ``--store`` if that folder does not exist. Each run is a fresh child process writing
into a fresh dumps folder (removed afterwards); min and median over ``--repeat`` runs.
``--tree DIR`` (repeatable) measures another checkout of alm-ld, e.g. ``git archive`` of the
commit before a change, in the same run. ``make_snapshot`` of an older checkout that still took
``compact_graph`` gets ``web.dumps.feed_jsonld``, as its CLI passed.

    python -m benchmarks.snapshot_bench --store /tmp/store10k --works 10000 --repeat 3 \\
        --tree /tmp/before --tree .
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

_BUILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from benchmarks.datagen import Dataset, feeds
spec = "oxigraph:" + sys.argv[2]
settings = Settings(store=spec)
with open_store(spec, settings=settings) as store:
    for feed in feeds(Dataset(works=int(sys.argv[3]))):
        ingest_feed(store, feed, settings=settings)
"""

_RUN = r"""
import inspect, shutil, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from alm_ld.config import Settings
from alm_ld.exchange.snapshots import make_snapshot
from alm_ld.store import open_store
kwargs = {}
if "compact_graph" in inspect.signature(make_snapshot).parameters:
    from alm_ld.web.dumps import feed_jsonld
    kwargs["compact_graph"] = feed_jsonld
spec = "oxigraph:" + sys.argv[2]
dumps = tempfile.mkdtemp()
try:
    settings = Settings(store=spec, dumps_dir=dumps)
    with open_store(spec, settings=settings) as store:
        started = time.perf_counter()
        make_snapshot(store, settings, **kwargs)
        print(time.perf_counter() - started)
finally:
    shutil.rmtree(dumps)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[])
    args = parser.parse_args(argv)
    here = str(Path(__file__).resolve().parent.parent)
    trees = args.tree or [here]
    if not Path(args.store).exists():
        subprocess.run([sys.executable, "-c", _BUILD, here, args.store, str(args.works)],
                       check=True)
    times: dict[str, list[float]] = {tree: [] for tree in trees}
    for _ in range(args.repeat):  # interleaved: a slower moment of the machine hits both
        for tree in trees:
            out = subprocess.run([sys.executable, "-c", _RUN, tree, args.store], check=True,
                                 capture_output=True, text=True).stdout
            times[tree].append(float(out.split()[-1]))
    for tree, seconds in times.items():
        print(f"{tree}: snapshot of {args.works} works: min {min(seconds):.2f} s, median "
              f"{statistics.median(seconds):.2f} s ({len(seconds)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
