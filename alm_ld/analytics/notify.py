"""An in-process signal that a feed was committed, so Server-Sent Events can push it at once.

The notifier only says *that* something may have changed; readers always read what changed
from the store. That keeps it correct across processes (another serving process, an
``alm-ld ingest`` run): a reader that is not woken still finds the new feed on its next poll
(``wait`` returns after ``timeout`` seconds at the latest).
"""

from __future__ import annotations

import threading


class IngestNotifier:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        """Wake every waiting reader (called after an ingest committed)."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the generation moves past ``seen`` or ``timeout`` passes; return it."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout=timeout)
            return self._generation


NOTIFIER = IngestNotifier()
"""The process-wide notifier: ingest hooks call ``NOTIFIER.notify()``; SSE streams wait on it."""
