"""A catch-up that asks for a large share of the current-value view reads it in one scan
(alm_ld.analytics.current_view._scan_is_cheaper): after a 1M bulk load, looking up 7M nodes
2,000 at a time took ~18 minutes. The index it writes must be the one the lookups write."""

from __future__ import annotations

from pathlib import Path

from alm_ld.analytics import current_view as cv
from alm_ld.analytics import works_index as wi
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import feed
from tests.sets.test_works_groups_columns import _feeds
from tests.sets.test_works_index_bulk_write import _answers, _contents


def _run(tmp_path: Path, name: str, scan: bool, monkeypatch) -> tuple[list, list, list[str]]:
    """Feeds folded two at once, then one by one; the index's contents after each step, the
    answers, and the view reads (scans: no VALUES) the catch-ups made."""
    monkeypatch.setattr(cv, "_SCAN_FROM_NODES", 0 if scan else 10**12)
    monkeypatch.setattr(cv, "_SCAN_SHARE", 10**9)
    spec = f"oxigraph:{tmp_path / name / 'store'}"
    store, config = open_store(spec), Settings(store=spec)
    path = Path(wi.index_path(store) or "")
    index = wi.WorksIndex(str(path))
    reads: list[str] = []
    real = store.query_serialized

    def spy(text: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "alm:highestValue" in text:
            reads.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(store, "query_serialized", spy)
    steps = []
    for n, items in enumerate(_feeds(33)):
        ingest_feed(store, feed(items), settings=config)
        if n >= 1:
            index.catch_up(store)
            steps.append(_contents(path))
    answers = _answers(store)
    index.close()
    store.close()
    return steps, answers, reads


def test_a_scanned_view_folds_as_the_looked_up_one(tmp_path, monkeypatch) -> None:
    scanned, scanned_answers, scans = _run(tmp_path, "scan", True, monkeypatch)
    looked_up, looked_up_answers, lookups = _run(tmp_path, "lookup", False, monkeypatch)
    assert scans and not [q for q in scans if "VALUES ?n" in q]
    assert lookups and all("VALUES ?n" in q for q in lookups)
    assert scanned == looked_up
    assert scanned_answers == looked_up_answers
    assert any(step["val"] for step in scanned)


def test_only_a_large_share_of_the_view_is_scanned(tmp_path, monkeypatch) -> None:
    """The scan is chosen by the share of the view asked: its series are counted first."""
    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    ingest_feed(store, feed(_feeds(34)[0]), settings=config)
    [(count,)] = list(cv.select_ids(store, f"""SELECT (COUNT(*) AS ?c) WHERE {{
  GRAPH <{cv.VIEW_GRAPH}> {{ ?n alm:currentValue ?v }} }}"""))
    monkeypatch.setattr(cv, "_SCAN_FROM_NODES", 1)
    assert cv._scan_is_cheaper(store, -(-int(count) // cv._SCAN_SHARE))
    assert not cv._scan_is_cheaper(store, int(count) // cv._SCAN_SHARE - 1)
    monkeypatch.setattr(cv, "_SCAN_FROM_NODES", 10**9)
    assert not cv._scan_is_cheaper(store, int(count))
    store.close()
