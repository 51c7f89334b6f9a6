"""``alm-ld ingest FILE... [--store SPEC] [--profile base|strict]``.

Prints one JSON line per feed on standard output: ``{"id", "items", "observations", "events",
"status"}`` with status ``created`` or ``unchanged``; a feed that cannot be ingested gets a line
with status ``invalid`` (plus ``problems``), ``conflict`` or ``error`` (plus ``detail``) and the
other files are still ingested. Exit codes: 0 all ingested, 1 some feed invalid or conflicting,
2 a file missing, 4 the store unavailable. A progress bar is drawn only when standard error is
a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alm_ld.config import Settings
from alm_ld.errors import EXIT_OK, EXIT_USAGE, AlmLdError, FeedConflict, InvalidFeed
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="SPEC", default=None,
                        help="oxigraph:PATH, memory: or sparql:QUERY_URL[;UPDATE_URL] "
                        "(default: ALM_LD_STORE, else oxigraph:./var/store)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="validate feeds and add them to the store",
        description="Validate and ingest feed files, one transaction per feed. Exit codes: 0 "
        "ok, 1 invalid or conflicting feed (the others are still ingested), 2 missing file, "
        "4 store unavailable.")
    parser.add_argument("files", metavar="FILE", nargs="+", help="feed files (JSON-LD)")
    add_store_option(parser)
    parser.add_argument("--profile", choices=("base", "strict"), default="base",
                        help="validation profile (default base)")
    parser.set_defaults(func=run)


def _progress(files: list[str]):  # type: ignore[no-untyped-def]
    if len(files) > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(files, unit="feed", file=sys.stderr)
    return files


def _emit(line: dict) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(store=args.store)
    worst = EXIT_OK
    with open_store(settings.store, settings=settings) as store:
        for name in _progress(args.files):
            path = Path(name)
            if not path.is_file():
                sys.stderr.write(f"alm-ld: no such feed file: {name}\n")
                _emit({"file": name, "status": "error", "detail": "no such file"})
                worst = max(worst, EXIT_USAGE)
                continue
            try:
                result = ingest_feed(store, path.read_bytes(), settings=settings,
                                     profile=args.profile)
            except InvalidFeed as error:
                sys.stderr.write(f"alm-ld: {name}: {error.detail}\n")
                for problem in error.problems:
                    sys.stderr.write(f"  {problem.get('path', '$')}: {problem['message']}\n")
                _emit({"file": name, "status": "invalid", "problems": error.problems})
                worst = max(worst, error.exit_code)
                continue
            except FeedConflict as error:
                sys.stderr.write(f"alm-ld: {name}: {error.detail}\n")
                _emit({"file": name, "status": "conflict", "detail": error.detail})
                worst = max(worst, error.exit_code)
                continue
            except AlmLdError as error:
                # The store failed (unavailable, timed out): this feed is not ingested and
                # neither would the next be; say which file it was, then stop (exit 4).
                _emit({"file": name, "status": "error", "detail": error.detail})
                raise
            _emit(result.to_dict())
    return worst
