"""``alm-ld query QUERY|@FILE [--format json|csv|tsv|xml|turtle|ntriples] [--store SPEC]``.

Runs a SPARQL query against the store (default graph = union of all graphs) and streams the
results to standard output. SELECT/ASK default to ``json``, CONSTRUCT/DESCRIBE to ``turtle``.
Exit codes: 0 ok, 1 malformed query, 2 usage error (e.g. a format that does not fit the query
form), 4 store unavailable or query timed out (``--timeout``, default ALM_LD_QUERY_TIMEOUT).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alm_ld.cli.ingest_cmd import add_store_option
from alm_ld.config import Settings
from alm_ld.errors import UsageError
from alm_ld.store import open_store
from alm_ld.store.results import query_form

FORMATS = ("json", "csv", "tsv", "xml", "turtle", "ntriples", "rdfxml", "jsonld")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "query", help="run a SPARQL query against the store",
        description="Run a SPARQL query (text, or @FILE) and print the results.")
    parser.add_argument("query", metavar="QUERY|@FILE")
    parser.add_argument("--format", choices=FORMATS, default=None, dest="fmt",
                        help="result format (default json for SELECT/ASK, turtle otherwise)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before the query is stopped (default ALM_LD_QUERY_TIMEOUT)")
    add_store_option(parser)
    parser.set_defaults(func=run)


def _query_text(arg: str) -> str:
    if arg.startswith("@"):
        path = Path(arg[1:])
        if not path.is_file():
            raise UsageError(f"No such query file: {arg[1:]}.")
        return path.read_text(encoding="utf-8")
    return arg


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(store=args.store)
    sparql = _query_text(args.query)
    fmt = args.fmt or ("json" if query_form(sparql) in ("SELECT", "ASK") else "turtle")
    timeout = args.timeout if args.timeout is not None else settings.query_timeout
    with open_store(settings.store, settings=settings) as store:
        _, chunks = store.query_serialized(sparql, fmt, timeout=timeout or None)
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    return 0
