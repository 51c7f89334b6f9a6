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

from alm_ld.cli.options import add_store_option
from alm_ld.config import Settings
from alm_ld.errors import MalformedQuery, UsageError

TABLE_FORMATS = ("json", "csv", "tsv", "xml")
GRAPH_FORMATS = ("turtle", "ntriples", "rdfxml", "jsonld")
FORMATS = TABLE_FORMATS + GRAPH_FORMATS


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


def _check_format(form: str, fmt: str) -> None:
    """A format that cannot hold the query's results, refused in the CLI's own words (the
    ``--format`` values, not the media types the store and HTTP speak)."""
    if form in ("SELECT", "ASK") and fmt not in TABLE_FORMATS:
        raise UsageError(f"A {form} query gives a result table, not a graph; use --format "
                         f"{', '.join(TABLE_FORMATS)} (not {fmt}).")
    if form not in ("SELECT", "ASK") and fmt not in GRAPH_FORMATS:
        raise UsageError(f"A {form} query gives a graph; use --format "
                         f"{', '.join(GRAPH_FORMATS)} (not {fmt}).")


def _short_parse_error(error: MalformedQuery) -> MalformedQuery:
    """The store's parser message cut to its first line and a readable length: Oxigraph lists
    every expected token (several lines of character ranges), which buries the position."""
    first = error.detail.splitlines()[0] if error.detail else "The query does not parse."
    expected = first.find(": expected ")
    if expected != -1 and len(first) > expected + 80:
        first = first[:expected] + ": the grammar allows none of this there"
    if len(first) > 200:
        first = first[:199] + "…"
    return MalformedQuery(first if first.endswith((".", "…")) else first + ".")


def run(args: argparse.Namespace) -> int:
    from alm_ld.store import open_store
    from alm_ld.store.results import query_form

    settings = Settings.from_env(store=args.store)
    sparql = _query_text(args.query)
    form = query_form(sparql)
    fmt = args.fmt or ("json" if form in ("SELECT", "ASK") else "turtle")
    _check_format(form, fmt)
    timeout = args.timeout if args.timeout is not None else settings.query_timeout
    with open_store(settings.store, settings=settings) as store:
        try:
            _, chunks = store.query_serialized(sparql, fmt, timeout=timeout or None)
        except MalformedQuery as error:
            raise _short_parse_error(error) from None
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    return 0
