"""Public queries that bypass the worker pool (sparql:, in-memory stores) are capped too.

Without the cap, every serving thread could hold a query on a remote store until its timeout;
with it, at most ``ALM_LD_QUERY_WORKERS`` run at once per serving process and the rest wait
within their own timeout, then get 503 ``query-timeout``.
"""

from __future__ import annotations

import threading
import time

import pytest

from alm_ld.config import Settings
from alm_ld.errors import QueryTimeout
from alm_ld.web.state import AppState


def test_slots_cap_concurrent_queries_and_waiting_counts_against_the_timeout() -> None:
    state = AppState(Settings.from_env({"ALM_LD_QUERY_WORKERS": "2"}))
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with state.query_slot(5):
            held.set()
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    assert held.wait(5)
    time.sleep(0.1)  # both holders are inside
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as refused, state.query_slot(0.3):
        pass
    assert 0.25 < time.monotonic() - started < 2
    assert refused.value.status == 503 and "ALM_LD_QUERY_WORKERS" in refused.value.detail
    release.set()
    for holder in holders:
        holder.join(5)
    with state.query_slot(0.3):  # free again
        pass
