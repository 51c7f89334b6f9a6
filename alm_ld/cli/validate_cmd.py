"""``alm-ld validate FILE [--profile base|strict] [--format text|json] [--input-format F]``.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error (unknown option, missing or
unreadable file). ``FILE`` may be ``-`` for standard input. The JSON output is the same
report ``POST /validate`` returns.

A feed is alm-ld JSON or RDF (checked against the SHACL shapes): ``--input-format`` says which
(``--format`` is the report's format); without it the extension decides (``.ttl``, ``.nt``,
``.rdf``/``.owl``/``.xml``, ``.jsonld``), standard input is recognised by its first bytes, and
JSON is told apart from JSON-LD with another context by its ``@context``
(:mod:`alm_ld.validation.feed_input`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alm_ld.config import Settings
from alm_ld.errors import EXIT_INVALID, EXIT_OK, UsageError

if TYPE_CHECKING:
    from alm_ld.validation.problems import Report

PROFILES = ("base", "strict")
INPUT_FORMATS = ("feed", "turtle", "ntriples", "rdfxml", "jsonld")
"""The choices of ``--profile`` and ``--input-format``, spelled here so that building the
parser (``alm-ld --help``, every command) imports no validator, rdflib or jsonschema-rs; a test
checks they equal :data:`alm_ld.validation.schema_check.PROFILES` and
:data:`alm_ld.validation.feed_input.INPUT_FORMATS`."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="check a feed against the base or strict profile",
        description="Check an alm-ld feed and report every problem at once. Exit codes: 0 "
        "valid (warnings allowed), 1 invalid, 2 usage error.")
    parser.add_argument("file", metavar="FILE", help="feed file, or - for standard input")
    parser.add_argument("--profile", choices=PROFILES, default="base",
                        help="base (default): structure and types; strict: also vocabulary "
                        "concepts, event licences and NISO disclosure")
    parser.add_argument("--format", choices=("text", "json"), default="text", dest="fmt",
                        help="text (default): one line per problem; json: the report object")
    parser.add_argument("--input-format", choices=INPUT_FORMATS, default=None, dest="syntax",
                        help="feed: alm-ld JSON; turtle, ntriples, rdfxml, jsonld: RDF checked "
                        "against the SHACL shapes (default: by extension / first bytes)")
    parser.set_defaults(func=run)


def _read(name: str, limit: int) -> tuple[bytes, int]:
    """The first ``limit + 1`` bytes (enough to tell the validator the feed is too large
    without holding an arbitrarily large input in memory) and the input's real size."""
    if name == "-":
        data = sys.stdin.buffer.read(limit + 1)
        size = len(data)
        while size > limit:  # counted, not kept: the report names the real size
            chunk = sys.stdin.buffer.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
        return data, size
    path = Path(name)
    if not path.exists():
        raise UsageError(f"No such file: {name}. Give a feed file, or - to read standard input.")
    if path.is_dir():
        raise UsageError(f"{name} is a directory; give a feed file.")
    try:
        with path.open("rb") as fh:
            return fh.read(limit + 1), path.stat().st_size
    except OSError as error:
        raise UsageError(f"Cannot read {name}: {error.strerror or error}.")


def _syntax(args: argparse.Namespace, data: bytes) -> str | None:
    """``--input-format``, else the extension, else (stdin) the first bytes; ``None``: JSON,
    an alm-ld feed unless its ``@context`` says JSON-LD with another context."""
    if args.syntax:
        return args.syntax
    from alm_ld.validation.feed_input import sniff_syntax
    from alm_ld.validation.rdf_feed import syntax_for_path

    if args.file == "-":
        return sniff_syntax(data)
    return syntax_for_path(args.file)


def format_text(report: Report, name: str) -> str:
    lines = [f"{p.path}: [{p.rule}] {p.message} ({p.severity})" for p in report.problems]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "INVALID"
    lines.append(f"{name}: {verdict} ({report.profile} profile): {errors} error(s), "
                 f"{warnings} warning(s)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from alm_ld.validation.feed_input import validate_input

    settings = Settings.from_env()
    data, size = _read(args.file, settings.max_body)
    report = validate_input(data, _syntax(args, data), args.profile, settings=settings,
                            size=size)
    if args.fmt == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        name = "<stdin>" if args.file == "-" else args.file
        sys.stdout.write(format_text(report, name) + "\n")
    return EXIT_OK if report.valid else EXIT_INVALID
