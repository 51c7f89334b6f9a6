"""``alm-ld mirror URL [--store SPEC]``: make a store hold the dataset another alm-ld serves.

Loads the newest snapshot (into an empty store), the deltas after it, then the live tail, each
file checked against the manifest's sha256 (alm_ld.exchange.mirror), and prints a JSON report
whose ``changes`` URL is where to follow ``/changes`` from. Run it again to catch up: it starts
from the store's newest feed. ``--follow SECONDS`` keeps doing so at that interval.

Exit codes: 0 ok, 1 a file failed its sha256/size check or is not valid N-Quads (nothing of it
was loaded), 2 usage error, 3 the source service failed or could not be reached, 4 store
unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from alm_ld.cli.options import add_store_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mirror", help="copy another alm-ld's dataset (snapshot, deltas, /changes)",
        description="Bring a store to the dataset served at URL: newest snapshot, deltas, "
        "then the live tail, verifying sha256. Exit codes: 0 ok, 1 a file failed its check, "
        "2 usage error, 3 the source failed, 4 store unavailable.")
    parser.add_argument("url", metavar="URL", help="base URL of the alm-ld to mirror")
    add_store_option(parser)
    parser.add_argument("--follow", metavar="SECONDS", type=float, default=None,
                        help="keep mirroring, polling every SECONDS (stop with Ctrl-C)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from alm_ld.config import Settings
    from alm_ld.errors import UsageError
    from alm_ld.exchange.mirror import mirror
    from alm_ld.store import open_store

    if args.follow is not None and not args.follow > 0:
        raise UsageError("--follow needs a number of seconds greater than 0.")
    settings = Settings.from_env(store=args.store)
    with open_store(settings.store, settings=settings) as store:
        while True:
            report = mirror(args.url, store, settings)
            sys.stdout.write(json.dumps(report.to_dict()) + "\n")
            sys.stdout.flush()
            if args.follow is None:
                return 0
            time.sleep(args.follow)
