"""Fixtures over a real Virtuoso 7 (Debian's ``virtuoso-opensource``), one per test session.

The package is installed by the fixture itself when missing and the tests run as root (CI);
otherwise every test here that needs it is skipped with the reason. Each test gets the server
emptied of alm-ld's graphs (its own system graphs stay, as on any real Virtuoso), so sequences
start at 1. ``cluster`` is the one of ``tests/scale`` (``alm-ld serve --workers 2``) over it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alm_ld.sparql_text import iri
from alm_ld.store.sparql import SparqlStore
from tests.scale.conftest import cluster  # noqa: F401 - the same cluster, over Virtuoso
from tests.virtuoso import server as virtuoso_server


@pytest.fixture(scope="session")
def virtuoso() -> Iterator[virtuoso_server.Virtuoso]:
    """A private Virtuoso on free ports for the session; skips when it cannot be had."""
    why = virtuoso_server.ensure_installed()
    if why:
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="alm-ld-virtuoso-"))
    try:
        try:
            server = virtuoso_server.start(folder)
        except RuntimeError as error:
            pytest.skip(f"Virtuoso did not start: {error}")
        store = SparqlStore(server.endpoint, server.endpoint)
        server.system_graphs = store._engine_graphs()  # type: ignore[attr-defined]
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def empty(server: virtuoso_server.Virtuoso) -> None:
    """Drop every graph but the ones the server had before alm-ld wrote to it."""
    store = SparqlStore(server.endpoint, server.endpoint)
    keep = server.system_graphs  # type: ignore[attr-defined]
    for graph in store._engine_graphs() - keep:
        store.update(f"DROP SILENT GRAPH {iri(graph)}")


@pytest.fixture
def shared_store(virtuoso: virtuoso_server.Virtuoso) -> Iterator[str]:
    """The session's Virtuoso, emptied of alm-ld's graphs; yields its ``sparql:`` spec."""
    empty(virtuoso)
    yield virtuoso.spec
