"""A store whose ingest writes take longer, so that a FeedBatch prepares the next feeds while
one is written and writes them together (the case a wrong batching rule would show), or
whose second write fails. Used by the batch tests (tests/scale), the stale-source upkeep
tests (tests/analytics) and the CLI's failed-write tests (tests/store)."""

from __future__ import annotations

import time
from typing import Any

from alm_ld.store.base import Store


def slow_writes(store: Store, pause: float = 0.15) -> list[int]:
    """Delay each of the store's ingest writes; returns the list of writes started."""
    started: list[int] = []
    write = store.add_graphs

    def delayed(*args: Any, **kwargs: Any) -> None:
        started.append(len(started))
        time.sleep(pause)
        write(*args, **kwargs)

    store.add_graphs = delayed  # type: ignore[method-assign]
    return started


def failing_second_write(monkeypatch: Any, pause: float) -> list[int]:
    """Every on-disk Oxigraph store (also the one a CLI command opens itself) takes ``pause``
    seconds per ingest write, so the next files are prepared meanwhile, and its second write
    fails with :class:`~alm_ld.errors.StoreUnavailable`; returns the list of writes started."""
    from alm_ld.errors import StoreUnavailable
    from alm_ld.store.oxigraph import OxigraphStore

    started: list[int] = []
    write = OxigraphStore.add_graphs

    def failing(self: OxigraphStore, *args: Any, **kwargs: Any) -> None:
        started.append(len(started))
        time.sleep(pause)
        if len(started) == 2:
            raise StoreUnavailable("The disk went away.")
        write(self, *args, **kwargs)

    monkeypatch.setattr(OxigraphStore, "add_graphs", failing)
    return started
