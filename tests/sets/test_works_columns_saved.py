"""A process's in-memory columns of the works index are saved beside the index file, so that
the next process (a restarted server, another worker) loads them instead of reading every
current row from SQLite (~30 s at 1M works), then catches them up from the works each later
fold touched. These tests hold a loaded-and-caught-up copy to columns read whole, and check
that a file that does not belong (another index generation, another version, damaged, ids
out of range) is never believed: the columns are then read whole, and the answers stay
right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from alm_ld.analytics import works_columns as wc
from alm_ld.analytics import works_index as wi
from alm_ld.analytics import works_list as wl
from alm_ld.analytics.works_list import parse_works_query
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import feed
from tests.sets.test_works_groups_columns import QUERIES, _columns, _feeds


@pytest.fixture
def whole_reads(monkeypatch) -> list[int]:
    """The sequences at which some process here read the columns whole."""
    seen: list[int] = []
    original = wc.WorkColumns.read_whole

    def counted(self, db, sequence, generation):  # type: ignore[no-untyped-def]
        seen.append(sequence)
        return original(self, db, sequence, generation)

    monkeypatch.setattr(wc.WorkColumns, "read_whole", counted)
    return seen


@contextmanager
def _on_disk(tmp_path: Path, seed: int, first: int) -> Iterator[tuple]:
    """An on-disk store holding the first ``first`` of generated feeds ``seed``: (store, its
    index file, ingest(items), every feed)."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    config, feeds = Settings(store=spec), _feeds(seed)
    with open_store(spec) as store:
        def ingest(items: list) -> None:
            ingest_feed(store, feed(items), settings=config)

        for items in feeds[:first]:
            ingest(items)
        path = wi.index_path(store)
        assert path is not None
        yield store, path, ingest, feeds


def _answers(index: wi.WorksIndex) -> list:
    return [wl._groups(index, parse_works_query(filter=text, group_by=group_by))
            for text, _, group_by in QUERIES]


def _rebuilt(store) -> dict:  # type: ignore[no-untyped-def]
    fresh = wi.WorksIndex(None)
    try:
        fresh.catch_up(store)
        return _columns(fresh) | {"answers": _answers(fresh)}
    finally:
        fresh.close()


def test_a_new_process_loads_the_saved_columns_and_catches_them_up(tmp_path,
                                                                  whole_reads) -> None:
    with _on_disk(tmp_path, 21, 3) as (store, path, ingest, feeds):
        first = wi.WorksIndex(path)
        first.catch_up(store)
        before = _columns(first) | {"answers": _answers(first)}
        assert whole_reads == [3]
        assert Path(path + ".columns.npz").is_file()
        first.close()

        second = wi.WorksIndex(path)  # a new process: its columns come from the file
        assert _columns(second) | {"answers": _answers(second)} == before
        assert whole_reads == [3]

        for items in feeds[3:]:  # later feeds: caught up from the works they touched
            ingest(items)
        third = wi.WorksIndex(path)
        third.catch_up(store)
        after = _columns(third) | {"answers": _answers(third)}
        assert after["sequence"] == len(feeds)
        assert whole_reads == [3]
        whole_reads.clear()
        assert after == _rebuilt(store)
        second.close()
        third.close()


def test_saved_columns_follow_the_index_as_feeds_are_folded(tmp_path, monkeypatch,
                                                           whole_reads) -> None:
    """A serving process saves its columns again once they moved half of ``KEEP_CHANGES``
    feeds past the saved ones, so a process started much later still catches up from the
    file instead of reading everything."""
    monkeypatch.setattr(wi, "KEEP_CHANGES", 2)
    with _on_disk(tmp_path, 22, 1) as (store, path, ingest, feeds):
        serving = wi.WorksIndex(path)
        serving.catch_up(store)
        _columns(serving)
        for items in feeds[1:]:
            ingest(items)
            serving.catch_up(store)
            _columns(serving)
        assert whole_reads == [1]
        later = wi.WorksIndex(path)
        whole_reads.clear()
        assert _columns(later) | {"answers": _answers(later)} == _rebuilt(store)
        assert whole_reads == [len(feeds)]  # only the fresh index's own build
        serving.close()
        later.close()


def _damage(file: Path, how: str) -> None:
    if how == "bytes":
        file.write_bytes(b"not a saved file")
        return
    with np.load(file, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
    if how == "version":
        meta["version"] = wc.SAVED_VERSION + 1
    elif how == "range":
        n = meta["keys"].index(next(k for k in meta["keys"] if k[0] == "ror"))
        arrays[f"key{n}work"] = arrays[f"key{n}work"] + len(meta["works"])
    elif how == "short":
        arrays["val0v"] = arrays["val0v"][:-1]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(file, "wb") as out:
        np.savez(out, **arrays)


@pytest.mark.parametrize("how", ["bytes", "version", "range", "short", "generation"])
def test_a_file_that_does_not_belong_is_read_whole_instead(tmp_path, whole_reads,
                                                           how: str) -> None:
    with _on_disk(tmp_path, 23, 4) as (store, path, _, _):
        first = wi.WorksIndex(path)
        first.catch_up(store)
        _columns(first)
        first.close()
        saved = Path(path + ".columns.npz")
        if how == "generation":  # the index file is gone: the next one is a new build
            for name in (path, path + "-wal", path + "-shm"):
                Path(name).unlink(missing_ok=True)
        else:
            _damage(saved, how)
            assert wc.WorkColumns.load(str(saved)) is None
        whole_reads.clear()
        second = wi.WorksIndex(path)
        second.catch_up(store)
        assert _columns(second) | {"answers": _answers(second)} == _rebuilt(store)
        assert whole_reads[0] == 4  # read whole, not loaded
        assert wc.WorkColumns.load(str(saved)) is not None  # and saved again
        second.close()


def test_a_folder_that_cannot_take_the_file_still_answers(tmp_path, whole_reads) -> None:
    """The saved file is an optimisation: when it cannot be written, answers are the same."""
    with _on_disk(tmp_path, 24, 2) as (store, path, _, _):
        Path(path + ".columns.npz").mkdir()  # a directory where the file would go
        index = wi.WorksIndex(path)
        index.catch_up(store)
        assert _columns(index) | {"answers": _answers(index)} == _rebuilt(store)
        assert not list(tmp_path.glob("*.tmp"))
        index.close()
