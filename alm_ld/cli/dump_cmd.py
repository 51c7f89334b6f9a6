"""``alm-ld dump [--format nquads|trig] [--output FILE]`` and ``alm-ld load FILE``.

``dump`` streams every quad of the store (all feed graphs and the vocabulary graph) to standard
output or ``--output``; ``load`` reads such a dump into a store (format from ``--format``, else
the file extension ``.nq``/``.trig``). A dump loaded into an empty store gives an isomorphic
dataset. Exit codes: 0 ok, 2 usage error, 4 store unavailable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alm_ld.cli.options import add_store_option
from alm_ld.config import Settings
from alm_ld.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    dump = subparsers.add_parser(
        "dump", help="write the whole dataset as N-Quads or TriG",
        description="Stream every quad of the store.")
    dump.add_argument("--format", choices=("nquads", "trig"), default="nquads", dest="fmt")
    dump.add_argument("--output", "-o", metavar="FILE", default=None,
                      help="write here instead of standard output")
    add_store_option(dump)
    dump.set_defaults(func=run_dump)

    load = subparsers.add_parser(
        "load", help="load a dump (N-Quads or TriG) into the store",
        description="Load a dump written by 'alm-ld dump' into a store.")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--format", choices=("nquads", "trig"), default=None, dest="fmt",
                      help="default: from the extension (.trig → trig, else nquads)")
    add_store_option(load)
    load.set_defaults(func=run_load)


def run_dump(args: argparse.Namespace) -> int:
    from alm_ld.store import open_store

    settings = Settings.from_env(store=args.store)
    with open_store(settings.store, settings=settings) as store:
        if args.output:
            # Written beside the target and renamed at the end, so a failed dump leaves no
            # partial file that looks like a whole one.
            target = Path(args.output)
            partial = target.with_name(f".{target.name}.partial")
            try:
                with open(partial, "wb") as out:
                    store.dump(out, args.fmt)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
        else:
            store.dump(sys.stdout.buffer, args.fmt)
            sys.stdout.buffer.flush()
    return 0


def run_load(args: argparse.Namespace) -> int:
    from alm_ld.store import open_store

    settings = Settings.from_env(store=args.store)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"No such dump file: {args.file}.")
    fmt = args.fmt or ("trig" if path.suffix == ".trig" else "nquads")
    with open_store(settings.store, settings=settings) as store, path.open("rb") as data:
        store.load_dump(data, fmt)
    return 0
