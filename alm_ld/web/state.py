"""Per-application state (settings and store), reached from views through ``current_app``.

The store is opened lazily on first use when the factory was not given one, so building an app
(e.g. for ``--help`` or OpenAPI generation) never touches the disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from alm_ld.config import Settings
from alm_ld.store.base import Store


@dataclass
class AppState:
    settings: Settings
    store: Store | None = None
    html_hooks: dict[str, Callable[..., str]] = field(default_factory=dict)
    """HTML renderers the pages area registers (``"sparql"``, …); see the views using them."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get_store(self) -> Store:
        if self.store is None:
            with self._lock:
                if self.store is None:
                    from alm_ld.store import open_store

                    self.store = open_store(self.settings.store, settings=self.settings)
        return self.store


def state() -> AppState:
    return current_app.extensions["alm_ld"]


def settings() -> Settings:
    return state().settings


def store() -> Store:
    return state().get_store()
