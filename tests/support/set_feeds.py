"""Builders of the small generated feeds the set tests (tests/sets, the works API tests in
tests/foundation) compute their answers from by hand: one definition of a feed, a count and a
work description, and of the institutions, person, funder and journal they name; and of a
store holding such feeds."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from alm_ld.analytics import works_index
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import Store, open_store

HARVARD, BROWN = "https://ror.org/03vek6s52", "https://ror.org/05gq02987"
CARBERRY = "https://orcid.org/0000-0002-1825-0097"
NSF = "https://doi.org/10.13039/100000001"
PLOS_ONE = "1932-6203"


def doi(n: int) -> str:
    return f"https://doi.org/10.5555/w{n}"


def feed(items: list[dict[str, Any]], generated: str = "2026-11-24T10:00:00Z",
         provider: str = "https://example.org/p") -> dict[str, Any]:
    """A feed of ``items`` with a fresh id (every call is a new feed, ingested in call order)."""
    return {"@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
            "id": f"urn:uuid:{uuid.uuid4()}", "provider": {"id": provider, "name": "P"},
            "generated": generated, "items": items}


def count(n: int, value: int, source: str, metric: str = "citations",
          end: str = "2026-11-01") -> dict[str, Any]:
    """A cumulative count of work ``n``."""
    return {"type": "Count", "work": doi(n), "metric": metric, "value": value,
            "aggregation": "cumulative", "periodEnd": end, "source": source}


def work(n: int, **fields: Any) -> dict[str, Any]:
    """The description of work ``n`` (title ``Work n``) with ``fields``."""
    return {"type": "Work", "work": doi(n), "title": f"Work {n}", **fields}


def ingested(spec: str, feeds: Iterable[Mapping[str, Any]]) -> Store:
    """The store ``spec`` opens, with ``feeds`` ingested in order (the caller closes it)."""
    store = open_store(spec)
    for one in feeds:
        ingest_feed(store, one, settings=Settings(store=spec))
    return store


def without_works_index(folder: Path,
                        feeds: Iterable[Mapping[str, Any]]) -> tuple[str, Store, str]:
    """An on-disk store in ``folder`` holding ``feeds`` whose works index was never built (the
    start of the tests of what answers while it is built): its spec, the open store and where
    the index file will be."""
    spec = f"oxigraph:{folder / 'store'}"
    store = ingested(spec, feeds)
    path = works_index.index_path(store)
    assert path is not None and not Path(path).exists()
    return spec, store, path
