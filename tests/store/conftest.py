"""One store fixture, three backends: every test in tests/store/ that takes ``store`` runs on
``memory:``, on-disk ``oxigraph:`` and ``sparql:`` against a real ``oxigraph serve``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.store import Store, open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def memory_settings() -> Settings:
    return Settings(store="memory:")


@pytest.fixture(params=["memory", "oxigraph", "sparql"])
def store_factory(request: pytest.FixtureRequest,
                  tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens a fresh empty store of the parametrised backend (call it again for a second one)."""
    opened: list[Store] = []
    counter = iter(range(1000))

    def make() -> Store:
        n = next(counter)
        if request.param == "memory":
            spec = "memory:"
        elif request.param == "oxigraph":
            spec = f"oxigraph:{tmp_path / f'store{n}'}"
        else:
            spec = request.getfixturevalue("sparql_store_spec")
            if n:
                request.getfixturevalue("oxigraph_server").clear()
        store = open_store(spec)
        opened.append(store)
        return store

    make.backend = request.param  # type: ignore[attr-defined]
    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: Callable[[], Store]) -> Store:
    return store_factory()
