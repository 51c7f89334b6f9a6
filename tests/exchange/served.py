"""A served alm-ld of the exchange tests (a module of its own: test modules import it, and
importing from a ``conftest`` breaks when several test folders are collected in one run)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import demo_dir


@dataclass
class Served:
    url: str
    store: Any
    settings: Settings

    def ingest(self, *names: str) -> None:
        for name in names:
            doc = json.loads((demo_dir() / name).read_text(encoding="utf-8"))
            assert ingest_feed(self.store, doc, settings=self.settings).status == "created"
