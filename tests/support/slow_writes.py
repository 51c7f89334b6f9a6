"""A store whose ingest writes take longer, so that a FeedBatch prepares the next feeds while
one is written and writes them together (the case a wrong batching rule would show). Used by
the batch tests (tests/scale) and the stale-source upkeep tests (tests/analytics)."""

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
