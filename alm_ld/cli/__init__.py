"""The ``alm-ld`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``, imported and listed
here by name (a missing one is an ImportError, never a command silently absent); this module only
dispatches and turns :class:`~alm_ld.errors.AlmLdError` into a printed problem and its exit code
(see :mod:`alm_ld.errors` for the codes). No traceback ever reaches a user for a known error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from alm_ld import __version__
from alm_ld.cli import (
    dump_cmd,
    harvest_cmd,
    ingest_cmd,
    mirror_cmd,
    query_cmd,
    serve_cmd,
    snapshot_cmd,
    validate_cmd,
)
from alm_ld.errors import EXIT_UNAVAILABLE, EXIT_USAGE, AlmLdError

# Subcommand modules, in the order they appear in --help.
COMMANDS = (validate_cmd, ingest_cmd, query_cmd, dump_cmd, harvest_cmd, serve_cmd,
            snapshot_cmd, mirror_cmd)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and one line, like every other CLI error.

    argparse's own two-line "usage: …" block differs from the ``alm-ld: <title>: <detail>``
    shape that scripts parse; the usage stays one ``--help`` away and is named in the line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"alm-ld: Usage error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)

    def format_help(self) -> str:
        # A command's epilog may be a function: help text that needs an expensive import (the
        # harvest providers' names) is built when help is shown, not for every command.
        if callable(self.epilog):
            self.epilog = self.epilog()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alm-ld",
        description="Article-level metrics as linked data.",
        epilog="Exit codes: 0 ok, 1 invalid input, 2 usage error, 3 partial upstream failure, "
        "4 store unavailable, 5 store misconfigured.",
    )
    parser.add_argument("--version", action="version", version=f"alm-ld {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def print_problem(error: AlmLdError, as_json: bool = False) -> None:
    """Show an error the way the CLI always does: one readable block on stderr."""
    if as_json:
        sys.stderr.write(json.dumps(error.to_problem(), indent=2) + "\n")
        return
    sys.stderr.write(f"alm-ld: {error.title}: {one_line(error.detail)}\n")


def one_line(text: str, limit: int = 400) -> str:
    """An error detail as one line: scripts read ``alm-ld: <title>: <detail>`` line by line,
    and a library's multi-line message (a parser's dump) must not break that."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except AlmLdError as error:
        print_problem(error)
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("alm-ld: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as error:
        sys.stderr.write(f"alm-ld: {error.strerror or error}: {error.filename or ''}\n")
        return EXIT_UNAVAILABLE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
