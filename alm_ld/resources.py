"""Packaged files: JSON-LD contexts, JSON Schemas, the vocabulary, examples and demo feeds.

The top-level ``schemas/``, ``contexts/`` and ``shapes/`` folders are the source of truth in the
repository; the wheel force-includes them as ``alm_ld/_data/schemas``, ``alm_ld/_data/contexts``
and ``alm_ld/_data/shapes`` so an installed package needs no checkout. This module hides which
of the two layouts is in use.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from alm_ld.errors import NotFound

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"

CONTEXT_URL = "https://w3id.org/alm-ld/context/v1.jsonld"
# Activity Streams 2.0, the context of the change feed; a verbatim copy is packaged as
# contexts/activitystreams.jsonld (provenance: data/licenses/activitystreams-context.md).
AS2_CONTEXT_URL = "https://www.w3.org/ns/activitystreams"
SCHEMA_BASE_URL = "https://w3id.org/alm-ld/schemas/"


def _top_level(name: str) -> Path:
    packaged = PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / name


def contexts_dir() -> Path:
    return _top_level("contexts")


def schemas_dir() -> Path:
    return _top_level("schemas")


def shapes_dir() -> Path:
    return _top_level("shapes")


def _safe_child(folder: Path, name: str) -> Path:
    """Resolve ``name`` inside ``folder`` only; a path that escapes it is simply not found."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise NotFound(f"No packaged file named {name!r}.")
    path = folder / name
    if not path.is_file():
        raise NotFound(f"No packaged file named {name!r}.")
    return path


def context_path(name: str = "v1.jsonld") -> Path:
    return _safe_child(contexts_dir(), name)


def schema_path(name: str) -> Path:
    return _safe_child(schemas_dir(), name)


def shapes_path(name: str) -> Path:
    return _safe_child(shapes_dir(), name)


@cache
def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def context_document(name: str = "v1.jsonld") -> dict[str, Any]:
    return load_json(context_path(name))


def vocab_path() -> Path:
    return DATA_DIR / "vocab.ttl"


def vocab_terms_path() -> Path:
    """The closed namespaces' term names, extracted from ``vocab.ttl`` (alm_ld.vocab)."""
    return DATA_DIR / "vocab-terms.json"


def examples_dir() -> Path:
    return DATA_DIR / "examples"


def demo_dir() -> Path:
    return DATA_DIR / "demo"
