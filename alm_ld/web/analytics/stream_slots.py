"""Slots for ``/changes/stream`` listeners: a cap in total and per client address.

Each open stream holds a serving thread for as long as the client listens (the app iterator
runs in a thread), so streams are counted: over ``settings.sse_max`` open streams a new one is
refused with 503, over ``settings.sse_per_client`` from one address with 429. The serving
thread pool is larger than ``sse_max`` (alm_ld.web.production.serving_threads), so listeners
can never take every thread. A slot is released exactly once, whichever comes first: the stream
ends, the response is closed, or the client is found gone.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


class SlotRefused(Exception):
    """No slot: ``status`` is 503 (every slot taken) or 429 (this client has its share)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class Slot:
    """One held slot; :meth:`release` is idempotent and thread-safe."""

    slots: StreamSlots
    client: str
    released: bool = False

    def release(self) -> None:
        self.slots._release(self)


class StreamSlots:
    """Counts open streams in total and per client address (thread-safe)."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, client: str) -> Slot:
        with self._lock:
            if sum(self._open.values()) >= self.total:
                raise SlotRefused(503, f"All {self.total} change-stream slots are taken "
                                  "(ALM_LD_SSE_MAX); retry later or poll /changes.")
            if self._open[client] >= self.per_client:
                raise SlotRefused(429, f"This address already has {self.per_client} open "
                                  "change streams (ALM_LD_SSE_PER_CLIENT); close one first.")
            self._open[client] += 1
        return Slot(self, client)

    def _release(self, slot: Slot) -> None:
        with self._lock:
            if slot.released:
                return
            slot.released = True
            self._open[slot.client] -= 1
            if self._open[slot.client] <= 0:
                del self._open[slot.client]

    def count(self) -> int:
        with self._lock:
            return sum(self._open.values())
