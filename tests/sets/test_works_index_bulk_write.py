"""A large write to the works index (a rebuild, or one fold of many feeds after a bulk load)
drops the value tables' secondary indexes and builds them again at its end, instead of
inserting into them row by row. These tests force that path for every write and hold the
index it leaves — every row of every table, the index definitions, SQLite's integrity check,
and the answers — to the one the row-by-row path leaves after the same feeds."""

from __future__ import annotations

from pathlib import Path

from alm_ld.analytics import works_index as wi
from alm_ld.analytics import works_list as wl
from alm_ld.analytics.works_list import parse_works_query
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import feed
from tests.sets.test_works_groups_columns import QUERIES, _feeds

TABLES = ("work", "val", "top", "descr", "mkey", "changed")
SORTED = ("citations:desc", "citations", "views:desc")


def _contents(path: Path) -> dict:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        out = {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
               for table in TABLES}
        out["indexes"] = sorted(db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        out["integrity"] = db.execute("PRAGMA integrity_check").fetchall()
        return out
    finally:
        db.close()


def _answers(store) -> list:  # type: ignore[no-untyped-def]
    """Groups and sorted first pages, read through the store's own index (the same file)."""
    answers = [wl.list_works(store, parse_works_query(filter=text, group_by=group_by))
               for text, _, group_by in QUERIES]
    for sort in SORTED:
        page = wl.list_works(store, parse_works_query(filter="has_metric:citations",
                                                      sort=sort, per_page="7"))
        answers.append([row["id"] for row in page["results"]])
    return answers


def _run(tmp_path: Path, name: str, bulk: bool, monkeypatch) -> tuple[dict, list, list[str]]:
    """Feeds folded as a server would meet them: two at once (after a bulk load), then one
    by one; the index then rebuilt whole. Returns its contents after each step, the
    answers, and the DROP INDEX statements it ran."""
    monkeypatch.setattr(wi, "BULK_ROWS", 0 if bulk else 10**12)
    monkeypatch.setattr(wi, "BULK_SHARE", 0.0 if bulk else 1.0)
    spec = f"oxigraph:{tmp_path / name / 'store'}"
    store, config, feeds = open_store(spec), Settings(store=spec), _feeds(31)
    path = Path(wi.index_path(store) or "")
    index = wi.WorksIndex(str(path))
    dropped: list[str] = []
    index._db.set_trace_callback(
        lambda sql: dropped.append(sql) if sql.startswith("DROP INDEX") else None)
    steps = []
    for n, items in enumerate(feeds):
        ingest_feed(store, feed(items), settings=config)
        if n >= 1:
            index.catch_up(store)
            steps.append(_contents(path))
    answers = _answers(store)
    index._db.execute("UPDATE info SET value = 'other' WHERE name = 'version'")
    index.catch_up(store)  # an index of another version: rebuilt whole
    rebuilt = _contents(path)
    answers += _answers(store)
    index.close()
    store.close()
    return {"steps": steps, "rebuilt": rebuilt}, answers, dropped


def test_a_large_write_leaves_the_index_a_row_by_row_write_leaves(tmp_path,
                                                                  monkeypatch) -> None:
    bulk, bulk_answers, dropped = _run(tmp_path, "bulk", True, monkeypatch)
    plain, plain_answers, none = _run(tmp_path, "plain", False, monkeypatch)
    assert none == []
    assert len(dropped) >= 5 * 3  # five indexes, in the first fold, later folds and the rebuild
    for step in (*bulk["steps"], bulk["rebuilt"]):
        assert step["integrity"] == [("ok",)]
        assert {name for name, _ in step["indexes"]} >= {
            "val_desc", "val_asc", "val_source", "top_desc", "top_asc"}
    assert bulk["steps"] == plain["steps"]
    assert bulk["rebuilt"] == plain["rebuilt"]
    assert bulk_answers == plain_answers


def test_a_small_fold_keeps_the_indexes_in_place(tmp_path) -> None:
    """The usual fold (one feed, few rows against many works) writes through the indexes."""
    store, config, feeds = open_store("oxigraph:"), Settings(store="oxigraph:"), _feeds(32)
    index = wi.WorksIndex(str(tmp_path / "i.sqlite3"))
    ingest_feed(store, feed(feeds[0]), settings=config)
    index.catch_up(store)
    statements: list[str] = []
    index._db.set_trace_callback(statements.append)
    ingest_feed(store, feed(feeds[1]), settings=config)
    index.catch_up(store)
    assert statements and not [s for s in statements if "INDEX" in s]
    index.close()
