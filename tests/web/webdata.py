"""Shared test data of the web tests (a module of its own: importing names from ``conftest``
breaks when several test folders with their own conftest are collected in one run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "web"
WORK = "https://doi.org/10.1371/journal.pone.0000001"
FEED_ID = "urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a11"


def feed_doc(name: str = "feed-small.json") -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
