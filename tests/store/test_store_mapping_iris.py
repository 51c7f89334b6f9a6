"""Valid feeds whose IRIs carry characters Oxigraph refuses still ingest (percent-encoded)."""

from __future__ import annotations

import copy
import json

from alm_ld.config import Settings
from alm_ld.mapping import safe_iri
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import examples_dir
from alm_ld.store import open_store


def test_safe_iri_escapes_brackets_in_path_only() -> None:
    assert safe_iri("https://en.wikipedia.org/wiki/A_[1]") == (
        "https://en.wikipedia.org/wiki/A_%5B1%5D")
    assert safe_iri("https://[::1]/x[y]") == "https://[::1]/x%5By%5D"
    assert safe_iri("https://example.org/plain") == "https://example.org/plain"


def test_event_subject_with_brackets_ingests_into_oxigraph(tmp_path) -> None:
    doc = copy.deepcopy(json.loads((examples_dir() / "valid-base.json").read_text()))
    doc["id"] = "urn:uuid:5a1f0a3e-0000-4000-8000-00000000b12c"
    event = next(item for item in doc["items"] if item["type"] == "Event")
    event["subject"] = "https://en.wikipedia.org/wiki/Example_[disambiguation]"
    with open_store(f"oxigraph:{tmp_path / 'store'}") as store:
        result = ingest_feed(store, doc, settings=Settings())
        assert result.status == "created"
        rows = store.query(
            "ASK { ?event ?p <https://en.wikipedia.org/wiki/Example_%5Bdisambiguation%5D> }")
        assert rows.boolean is True


def test_oxigraph_store_in_a_folder_that_does_not_exist_yet(tmp_path) -> None:
    """`make run` on a fresh clone points at ./var/store, whose parent ./var is not there yet."""
    spec = f"oxigraph:{tmp_path / 'var' / 'nested' / 'store'}"
    with open_store(spec) as store:
        assert store.query("ASK { GRAPH ?g { ?s ?p ?o } }").boolean is True  # vocabulary loaded
    assert (tmp_path / "var" / "nested" / "store").is_dir()
