"""How long validating a large feed takes: ``python benchmarks/validate_bench.py [N] [REPEAT]``.

Builds an N-item feed (default 10,000: counts for N/2 works plus events) from the shipped valid
example, then times ``validate_feed`` on raw bytes for a valid feed (jsonschema-rs fast path),
a feed with one error, a feed where every item is wrong (full jsonschema report
for every item), in both profiles. Prints min/median seconds.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alm_ld.resources import examples_dir  # noqa: E402
from alm_ld.validate import validate_feed, warm_up  # noqa: E402


def big_feed(n: int) -> dict:
    feed = json.loads((examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))
    count, event = feed["items"][1], feed["items"][4]
    items = []
    for i in range(n):
        doi = f"https://doi.org/10.1371/journal.pone.{i // 2:07d}"
        if i % 4 == 3:
            items.append(dict(copy.deepcopy(event), id=f"https://example.org/events/{i}",
                              object=doi))
        else:
            items.append(dict(copy.deepcopy(count), work=doi,
                              metric=("citations", "views", "readers")[i % 4]))
    feed["items"] = items
    return feed


def timed(label: str, raw: bytes, profile: str, repeat: int) -> None:
    times, problems = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        report = validate_feed(raw, profile)
        times.append(time.perf_counter() - start)
        problems = len(report.problems)
    print(f"{label:<34} {profile:<6} min {min(times):.3f}s  median "
          f"{statistics.median(times):.3f}s  ({problems} problems)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    warm_up()
    feed = big_feed(n)
    valid = json.dumps(feed).encode()
    broken = copy.deepcopy(feed)
    broken["items"][n // 2]["value"] = -1
    invalid = json.dumps(broken).encode()
    for item in broken["items"]:
        item["source"] = "Not A Source"
    all_bad = json.dumps(broken).encode()
    print(f"{n} items, {len(valid) / 1e6:.1f} MB, {repeat} runs each")
    for profile in ("base", "strict"):
        timed("valid feed (fast path)", valid, profile, repeat)
        timed("one error (detailed report)", invalid, profile, repeat)
        timed("every item wrong (worst case)", all_bad, profile, max(1, repeat // 2))


if __name__ == "__main__":
    main()
