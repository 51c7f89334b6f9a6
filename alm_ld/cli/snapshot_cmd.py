"""``alm-ld snapshot [--store SPEC] [--dumps DIR] [--keep N]``: write a snapshot (and the
delta since the previous one) into the dumps folder that ``/dumps`` serves; ``--keep N`` then
deletes all but the newest N snapshots (deltas stay).

Prints the new snapshot's manifest entry as JSON, or ``{"snapshot": null, ...}`` when nothing
was ingested since the newest snapshot. Exit codes: 0 ok, 2 usage error, 4 store unavailable.
Heavy imports happen inside :func:`run` (``alm-ld --help`` stays cheap).
"""

from __future__ import annotations

import argparse
import json
import sys

from alm_ld.cli.options import add_store_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "snapshot", help="write a snapshot and delta of the dataset for /dumps",
        description="Write a snapshot of feeds 1..N (N-Quads, JSON-LD lines, CSV of current "
        "values; gzip) and the delta since the previous snapshot into the dumps folder, and "
        "update its manifest (index.json). Exit codes: 0 ok, 2 usage error, 4 store "
        "unavailable.")
    add_store_option(parser)
    parser.add_argument("--dumps", metavar="DIR", default=None,
                        help="dumps folder (default: ALM_LD_DUMPS, else beside an embedded "
                        "store, else ./var/dumps)")
    parser.add_argument("--keep", metavar="N", type=int, default=None,
                        help="then delete all but the newest N snapshots (deltas stay)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from alm_ld.config import Settings
    from alm_ld.exchange.snapshots import dumps_folder, make_snapshot
    from alm_ld.store import open_store

    settings = Settings.from_env(store=args.store, dumps_dir=args.dumps)
    with open_store(settings.store, settings=settings) as store:
        made = make_snapshot(store, settings, keep=args.keep)
    if made is None:
        json.dump({"snapshot": None, "detail": "nothing ingested since the newest snapshot",
                   "folder": dumps_folder(settings)}, sys.stdout)
    else:
        json.dump({"snapshot": made["id"], "sequence": made["sequence"],
                   "files": [f["name"] for f in made["files"]],
                   "folder": dumps_folder(settings)}, sys.stdout)
    sys.stdout.write("\n")
    return 0
