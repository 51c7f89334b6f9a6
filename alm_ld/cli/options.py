"""Options several subcommands share, defined once so their flag, metavar and help read the
same in every ``--help``."""

from __future__ import annotations

import argparse

STORE_HELP = ("oxigraph:PATH, memory: or sparql:QUERY_URL[;UPDATE_URL] "
              "(default: ALM_LD_STORE, else oxigraph:./var/store)")


def add_store_option(parser: argparse.ArgumentParser, help: str = STORE_HELP) -> None:
    """``--store SPEC``: the store to use (parsed later by :class:`alm_ld.store.spec.StoreSpec`,
    so a bad spec is the same error in every command)."""
    parser.add_argument("--store", metavar="SPEC", default=None, help=help)
