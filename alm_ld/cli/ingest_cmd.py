"""``alm-ld ingest FILE... [--store SPEC] [--profile base|strict]``.

Prints one JSON line per feed on standard output: ``{"id", "items", "observations", "events",
"status"}`` with status ``created`` or ``unchanged``; a feed that cannot be ingested gets a line
with status ``invalid`` (plus ``problems``), ``conflict`` or ``error`` (plus ``detail``) and the
other files are still ingested. When the store fails a write, the files of that write get status
``error`` and every file after them ``skipped`` (plus ``detail``), none of them ingested: every
file given has exactly one line, in order. A folder stands for its ``*.json``/``*.jsonld``
files. Exit codes: 0 all ingested, 1 some feed invalid or conflicting, 2 a file missing, 4 the store
unavailable. Each error is one line on standard error (``alm-ld: <title>: <file>: <detail>``;
every problem is in the JSON line). A progress bar (file, stage, elapsed time) is drawn only
when standard error is a terminal, and never shares a line with a result.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alm_ld.cli.options import add_store_option
from alm_ld.cli.progress import Progress
from alm_ld.config import Settings
from alm_ld.errors import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    AlmLdError,
    FeedConflict,
    InvalidFeed,
    UsageError,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="validate feeds and add them to the store",
        description="Validate and ingest feed files, one transaction per feed. Exit codes: 0 "
        "ok, 1 invalid or conflicting feed (the others are still ingested), 2 missing file, "
        "4 store unavailable.")
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help="feed files (JSON-LD), or folders of them (*.json, *.jsonld)")
    add_store_option(parser)
    parser.add_argument("--profile", choices=("base", "strict"), default="base",
                        help="validation profile (default base)")
    parser.set_defaults(func=run)


FEED_SUFFIXES = (".json", ".jsonld")


def feed_files(names: list[str]) -> list[str]:
    """The files to ingest: each name as given, a folder as its feed files (``*.json``,
    ``*.jsonld``, sorted, not recursive). A folder without any is a usage error."""
    files: list[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = sorted(str(child) for child in path.iterdir()
                           if child.is_file() and child.suffix.lower() in FEED_SUFFIXES)
            if not found:
                raise UsageError(f"{name} is a directory with no feed files (*.json, *.jsonld); "
                                 "give feed files or a folder holding them.")
            files.extend(found)
        else:
            files.append(name)
    return files


@dataclass(frozen=True)
class _Refused:
    """A file that went nowhere: its message (standard error), JSON line and exit code."""

    message: str
    line: dict[str, Any]
    code: int


def _ingest_one(batch: Any, position: int, name: str, settings: Settings,
                progress: Progress) -> _Refused | None:
    """Hand file ``position`` of the command line to the batch; None when it went in (the
    batch reports it once it is stored, see :func:`run`), else why not."""
    from alm_ld.validate import parse_feed_bytes
    from alm_ld.validation.rdf_feed import too_large_message

    path = Path(name)
    if not path.is_file():
        return _Refused(f"alm-ld: Usage error: No such feed file: {name}.",
                        {"file": name, "status": "error", "detail": "no such file"}, EXIT_USAGE)
    size = path.stat().st_size
    if size > settings.max_body:  # refused unread: never hold an oversized file in memory
        message = too_large_message(size, settings.max_body)
        problem = {"path": "$", "rule": "too-large", "message": message, "severity": "error"}
        return _Refused(f"alm-ld: Invalid feed: {name}: {message}",
                        {"file": name, "status": "invalid", "problems": [problem]}, EXIT_INVALID)
    progress.stage(f"{path.name}: reading {size:,} bytes")
    try:
        doc = parse_feed_bytes(path.read_bytes(), settings=settings)
        items = doc.get("items") if isinstance(doc, dict) else None
        count = f"{len(items):,} items" if isinstance(items, list) else "the feed"
        progress.stage(f"{path.name}: validating and storing {count}")
        batch.add(position, doc)
    except InvalidFeed as error:
        return _Refused(f"alm-ld: {error.title}: {name}: {error.detail}",
                        {"file": name, "status": "invalid", "problems": error.problems},
                        error.exit_code)
    except FeedConflict as error:
        return _Refused(f"alm-ld: {error.title}: {name}: {error.detail}",
                        {"file": name, "status": "conflict", "detail": error.detail},
                        error.exit_code)
    return None


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def run(args: argparse.Namespace) -> int:
    from alm_ld.pipeline.batch import FeedBatch
    from alm_ld.store import open_store

    settings = Settings.from_env(store=args.store)
    files = feed_files(args.files)
    worst = EXIT_OK
    with open_store(settings.store, settings=settings) as store, Progress(len(files)) as progress:

        def stored(position: int, result: Any) -> None:
            progress.out(_line(result.to_dict()))
            progress.advance()

        # Each feed is still its own transaction; the batch prepares the next file while the
        # previous one is written (alm_ld.pipeline.batch) and reports them in order.
        batch = FeedBatch(store, settings=settings, profile=args.profile, on_ingested=stored)
        position = 0
        try:
            with batch:
                for position, name in enumerate(files):
                    refused = _ingest_one(batch, position, name, settings, progress)
                    if refused is not None:
                        batch.flush()  # the files before it are reported first
                        progress.err(refused.message)
                        progress.out(_line(refused.line))
                        progress.advance()
                        worst = max(worst, refused.code)
        except AlmLdError as error:
            # The store failed (unavailable, timed out): this feed is not ingested and
            # neither would the next be; say which files failed and which were not tried
            # (those prepared after the failed write, then the rest), then stop (exit 4).
            failed = batch.failed or [position]  # the files of a failed write, if it was one
            for at in failed:
                progress.out(_line({"file": files[at], "status": "error",
                                    "detail": error.detail}))
            untried = set(batch.dropped) | set(range(position, len(files)))
            for at in sorted(untried - set(failed)):
                progress.out(_line({"file": files[at], "status": "skipped", "detail": (
                    f"Not ingested: the store failed on {files[failed[0]]} before this file "
                    "was written; ingest it again once the store is available.")}))
            raise
    return worst
