"""The works index's current rows as in-memory columns, so that ``group_by`` (with or without
a filter) is a few vector operations over every work instead of a GROUP BY in SQLite.

Why columns: a filtered ``group_by`` must look at every work the filter keeps. In SQLite
that is a join per work (about 10 µs each: half a second for half of 100k works), and the
per-group totals the index used to keep only helped filters that keep nearly every work (a
second algorithm for the same answer, and tables every fold had to maintain). Here every
work has an ordinal; each metric's current highest value, each (metric, source) value and
each (kind, key, work) pair of the descriptions are numpy arrays indexed by it, so a filter
is a boolean mask and a group's count and sums are ``bincount``s: milliseconds at 100k works
and the same code for every filter.

How they stay current: they are one process's copy of the index *as of one feed sequence*.
Each fold records the works it touched (the index's ``changed`` table), so catching the
columns up to a later sequence re-reads those works' current rows only. When the changes
are no longer all recorded (pruned, or the index was rebuilt: another ``generation``), the
columns are read whole again (seconds at 100k works). A process with a persistent index
file saves its columns beside it (:meth:`WorkColumns.save`) after a whole read and every
``KEEP_CHANGES // 2`` feeds, so the next process (a restarted server, each worker) loads
them and catches up from ``changed`` instead of reading every row. Only current rows are held:
``group_by`` is always answered as of the index's own sequence; a cursor's older sequence
is the list's business (SQLite keeps the validity ranges).

This module is the only one that imports numpy.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

SAVED_VERSION = 1
"""Version of the saved form (:meth:`WorkColumns.save`): a file of another version is
ignored, and the columns read whole instead."""

OPEN = 1 << 62
"""``vto`` of a works-index row that is still current (defined here, where it is read in
bulk; :mod:`alm_ld.analytics.works_index` imports it)."""
_NO_LABEL = -1


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` with room for ``size`` entries (doubling, so appends cost O(1) each)."""
    if size <= len(array):
        return array
    bigger = np.zeros(max(size, 2 * len(array), 16), dtype=array.dtype)
    bigger[:len(array)] = array
    return bigger


@dataclass
class _Pairs:
    """The (key, work) pairs of one key kind with their display name; a pair of a work
    described again is marked dead and its new pairs appended (compacted when half dead)."""

    names: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    work: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    label: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    size: int = 0

    def key_id(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.names)
            self.names.append(key)
        return found

    def add(self, rows: list[tuple[int, int, int]]) -> None:
        end = self.size + len(rows)
        self.work, self.key = _grown(self.work, end), _grown(self.key, end)
        self.label, self.alive = _grown(self.label, end), _grown(self.alive, end)
        if rows:
            block = np.array(rows, dtype=np.int64).reshape(-1, 3)
            self.work[self.size:end], self.key[self.size:end] = block[:, 0], block[:, 1]
            self.label[self.size:end] = block[:, 2]
            self.alive[self.size:end] = True
        self.size = end

    def drop_works(self, works: np.ndarray) -> None:
        live = self.alive[:self.size]
        live &= ~np.isin(self.work[:self.size], works)
        if self.size > 1024 and int(live.sum()) < self.size // 2:
            keep = np.flatnonzero(live)
            self.work, self.key = self.work[keep].copy(), self.key[keep].copy()
            self.label, self.alive = self.label[keep].copy(), np.ones(len(keep), bool)
            self.size = len(keep)

    def current(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(work, key, label) of the live pairs."""
        live = self.alive[:self.size]
        return self.work[:self.size][live], self.key[:self.size][live], \
            self.label[:self.size][live]


def _within(numbers: np.ndarray, size: int, least: int = 0) -> bool:
    """Whether every one of ``numbers`` lies in ``least … size - 1`` (a loaded file's ids)."""
    return not len(numbers) or (int(numbers.min()) >= least and int(numbers.max()) < size)


@dataclass
class _Values:
    """One value per work (a metric's highest, or one source's), with whether it has one."""

    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    has: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def fit(self, size: int) -> None:
        self.value, self.has = _grown(self.value, size), _grown(self.has, size)


class WorkColumns:
    """One process's columns of the works index at ``sequence`` (see the module docstring).
    Not thread-safe on its own: the index's lock guards it."""

    def __init__(self) -> None:
        self.sequence = -1
        self.generation = ""
        self.ids: dict[str, int] = {}
        self.size = 0
        self.top: dict[str, _Values] = {}
        """metric → each work's highest current value among all sources"""
        self.val: dict[tuple[str, str], _Values] = {}
        """(metric, source) → each work's current value from that source"""
        self.keys: dict[str, _Pairs] = {}
        """kind → the works' current (key, label) pairs of that kind"""
        self.labels: list[str] = []
        self._label_ids: dict[str, int] = {}
        self._source_totals: dict[tuple[str, str], list[int]] = {}
        """(metric, source) → [works with a value, sum of the values], kept by
        :meth:`_count_in` as works change: reading a total costs no pass over the works"""
        self._metric_totals: dict[str, list[int]] = {}
        """metric → [works with a value, sum of each work's highest value], kept the same
        way"""

    # -- filling ------------------------------------------------------------------------

    def _work(self, work: str) -> int:
        found = self.ids.get(work)
        if found is None:
            found = self.ids[work] = self.size
            self.size += 1
        return found

    def _label(self, label: str | None) -> int:
        if label is None:
            return _NO_LABEL
        found = self._label_ids.get(label)
        if found is None:
            found = self._label_ids[label] = len(self.labels)
            self.labels.append(label)
        return found

    def _fit(self) -> None:
        for values in (*self.top.values(), *self.val.values()):
            values.fit(self.size)

    def _set(self, table: dict, name: object, rows: list[tuple[int, int]]) -> None:
        values = table.get(name)
        if values is None:
            values = table[name] = _Values()
        values.fit(self.size)
        if rows:
            block = np.array(rows, dtype=np.int64).reshape(-1, 2)
            values.value[block[:, 0]] = block[:, 1]
            values.has[block[:, 0]] = True

    def _load(self, db: sqlite3.Connection, touched: str | None = None) -> None:
        """Read the current rows of the works in the temporary table ``touched`` (every
        work when None: each table scanned once, no lookup per work) into the columns
        (their old rows must have been cleared)."""
        def rows(table: str, columns: str) -> sqlite3.Cursor:
            if touched is None:
                return db.execute(f"SELECT {columns} FROM {table} x WHERE x.vto = {OPEN}")
            return db.execute(f"SELECT {columns} FROM {touched} w CROSS JOIN {table} x ON "
                              f"x.work = w.work AND x.vto = {OPEN}")

        tops: dict[str, list[tuple[int, int]]] = {}
        for work, metric, value in rows("top", "x.work, x.metric, x.value"):
            tops.setdefault(metric, []).append((self._work(work), value))
        vals: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for work, metric, source, value in rows("val", "x.work, x.metric, x.source, x.value"):
            vals.setdefault((metric, source), []).append((self._work(work), value))
        pairs: dict[str, list[tuple[int, int, int]]] = {}
        for work, kind, key, label in rows("mkey", "x.work, x.kind, x.key, x.label"):
            kept = self.keys.get(kind)
            if kept is None:
                kept = self.keys[kind] = _Pairs()
            pairs.setdefault(kind, []).append((self._work(work), kept.key_id(key),
                                               self._label(label)))
        self._fit()
        for metric, found in tops.items():
            self._set(self.top, metric, found)
        for name, found in vals.items():
            self._set(self.val, name, found)
        for kind, triples in pairs.items():
            self.keys[kind].add(triples)

    def _count_in(self, ordinals: np.ndarray | None, sign: int) -> None:
        """Add (``sign`` 1) or take out (-1) the values of the works ``ordinals`` (every
        work when None) from the kept totals. Why kept, not summed per read: a total over
        every work is a pass over a million values at 1M works (~10 ms); kept, it costs a
        pass over the works a feed touched, once per feed, and a read costs a dict copy."""
        def part(v: _Values) -> tuple[int, int]:
            has = v.has[:self.size] if ordinals is None else v.has[ordinals]
            value = v.value[:self.size] if ordinals is None else v.value[ordinals]
            return int(has.sum()), int(value[has].sum())

        for table, kept_totals in ((self.val, self._source_totals),
                                   (self.top, self._metric_totals)):
            for name, v in table.items():
                works, total = part(v)
                kept = kept_totals.setdefault(name, [0, 0])
                kept[0] += sign * works
                kept[1] += sign * total

    def read_whole(self, db: sqlite3.Connection, sequence: int, generation: str) -> None:
        """Every current row of the index (inside the caller's read transaction)."""
        self.__init__()  # type: ignore[misc]  # empty again: every row is read below
        for (work,) in db.execute("SELECT work FROM work"):
            self._work(work)
        self._load(db)
        self._count_in(None, 1)
        self.sequence, self.generation = sequence, generation

    def catch_up(self, db: sqlite3.Connection, sequence: int, generation: str) -> None:
        """Re-read the works the index's folds after ``self.sequence`` touched (the caller
        checked that the ``changed`` table still holds all of them)."""
        touched = [w for (w,) in db.execute(
            "SELECT DISTINCT work FROM changed WHERE seq > ? AND seq <= ?",
            (self.sequence, sequence))]
        if touched:
            ordinals = np.array([self._work(w) for w in touched], dtype=np.int64)
            self._fit()
            self._count_in(ordinals, -1)
            for values in (*self.top.values(), *self.val.values()):
                values.has[ordinals] = False
                values.value[ordinals] = 0
            for pairs in self.keys.values():
                pairs.drop_works(ordinals)
            db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (work TEXT PRIMARY KEY) "
                       "WITHOUT ROWID")
            db.execute("DELETE FROM touched")
            db.executemany("INSERT OR IGNORE INTO touched VALUES (?)", ((w,) for w in touched))
            self._load(db, "temp.touched")
            self._count_in(ordinals, 1)
            db.execute("DELETE FROM touched")
        self.sequence, self.generation = sequence, generation

    # -- keeping them across processes --------------------------------------------------

    def save(self, path: str) -> None:
        """Write these columns to ``path`` (replaced atomically: a reader sees the old file or
        the new one). Why: reading them whole from SQLite is a Python loop over every current
        row (14–15 s at 1M works, past a request's 10 s deadline), and every new process (a
        restarted server, each worker) paid it before its first ``GET /works``; loading this
        file is numpy reading arrays plus one JSON document of the strings (0.5 s at 1M).
        Arrays and JSON only: nothing pickled, so a file someone else wrote cannot run code
        here."""
        works = list(self.ids)  # ordinals are given in insertion order, never taken back
        arrays: dict[str, np.ndarray] = {}
        tables: dict[str, list] = {"top": [], "val": [], "keys": []}
        for n, (metric, values) in enumerate(self.top.items()):
            arrays[f"top{n}v"], arrays[f"top{n}h"] = values.value[:self.size], \
                values.has[:self.size]
            tables["top"].append(metric)
        for n, (name, values) in enumerate(self.val.items()):
            arrays[f"val{n}v"], arrays[f"val{n}h"] = values.value[:self.size], \
                values.has[:self.size]
            tables["val"].append(list(name))
        for n, (kind, pairs) in enumerate(self.keys.items()):
            for part in ("work", "key", "label", "alive"):
                arrays[f"key{n}{part}"] = getattr(pairs, part)[:pairs.size]
            tables["keys"].append([kind, pairs.names])
        meta = {"version": SAVED_VERSION, "sequence": self.sequence,
                "generation": self.generation, "works": works, "labels": self.labels,
                "source_totals": [[*name, *kept] for name, kept in self._source_totals.items()],
                "metric_totals": [[name, *kept] for name, kept in self._metric_totals.items()],
                **tables}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as out:
                np.savez(out, **arrays)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    @classmethod
    def load(cls, path: str) -> WorkColumns | None:
        """The columns :meth:`save` wrote to ``path``, or None when there is no such file or
        it is not one this version wrote whole (the caller then reads them from SQLite)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                if meta.get("version") != SAVED_VERSION:
                    return None
                columns = cls()
                columns._fill(meta, {name: data[name] for name in data.files
                                     if name != "meta"})
                return columns
        except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile):
            return None

    def _fill(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        works = meta["works"]
        self.ids = dict(zip(works, range(len(works)), strict=True))
        self.size = len(works)
        self.labels = list(meta["labels"])
        self._label_ids = {label: n for n, label in enumerate(self.labels)}

        def values(prefix: str) -> _Values:
            value, has = arrays[prefix + "v"], arrays[prefix + "h"]
            if len(value) != self.size or len(has) != self.size:
                raise ValueError(f"{prefix}: not one value per work")
            return _Values(value.astype(np.int64), has.astype(bool))

        self.top = {metric: values(f"top{n}") for n, metric in enumerate(meta["top"])}
        self.val = {(metric, source): values(f"val{n}")
                    for n, (metric, source) in enumerate(meta["val"])}
        for n, (kind, names) in enumerate(meta["keys"]):
            pairs = _Pairs(names=list(names), ids={name: i for i, name in enumerate(names)})
            for part, kind_of in (("work", np.int64), ("key", np.int64), ("label", np.int64),
                                  ("alive", bool)):
                setattr(pairs, part, arrays[f"key{n}{part}"].astype(kind_of))
            pairs.size = len(pairs.work)
            if not (len(pairs.key) == len(pairs.label) == len(pairs.alive) == pairs.size
                    and _within(pairs.work, self.size) and _within(pairs.key, len(names))
                    and _within(pairs.label, len(self.labels), _NO_LABEL)):
                raise ValueError(f"{kind}: pairs out of range")
            self.keys[kind] = pairs
        self._source_totals = {(m, s): [int(n), int(t)]
                               for m, s, n, t in meta["source_totals"]}
        self._metric_totals = {m: [int(n), int(t)] for m, n, t in meta["metric_totals"]}
        self.sequence, self.generation = int(meta["sequence"]), str(meta["generation"])

    # -- answering ----------------------------------------------------------------------

    def _key_mask(self, kind: str, wanted: Iterable[str] | None = None,
                  years: tuple[str, ...] = ()) -> np.ndarray:
        """The works with a key of ``kind`` among ``wanted`` (a year in one of the ``years``
        ranges ``YYYY-YYYY``; every key of the kind when neither is given)."""
        mask = np.zeros(self.size, bool)
        pairs = self.keys.get(kind)
        if pairs is None:
            return mask
        if years:
            ids = [i for name, i in pairs.ids.items()
                   if any(r[:4] <= name <= r[5:] for r in years)]
        elif wanted is not None:
            ids = [pairs.ids[w] for w in wanted if w in pairs.ids]
        else:
            ids = None
        works, keys, _ = pairs.current()
        mask[works if ids is None else works[np.isin(keys, ids)]] = True
        return mask

    def _sources_have(self, metric: str | None, sources: tuple[str, ...]) -> np.ndarray:
        """The works with a current value (of ``metric``; of any when None) from one of the
        ``sources``."""
        mask = np.zeros(self.size, bool)
        for (m, s), values in self.val.items():
            if s in sources and (metric is None or m == metric):
                mask |= values.has[:self.size]
        return mask

    def selection(self, filters: dict[str, tuple[str, ...]], metadata_keys: Iterable[str]
                  ) -> np.ndarray:
        """The works the filters select (the rules of :mod:`alm_ld.analytics.works_list`:
        AND between keys, OR between a key's values, ``has_metric`` values ANDed, every
        metric among the selected sources)."""
        mask = np.ones(self.size, bool)
        for kind in metadata_keys:
            options = filters.get(kind)
            if options:
                mask &= (self._key_mask(kind, years=options) if kind == "issued_year"
                         else self._key_mask(kind, options))
        sources = filters.get("source")
        if sources:
            mask &= self._sources_have(None, sources)
        for metric in filters.get("has_metric", ()):
            if sources:
                mask &= self._sources_have(metric, sources)
            else:
                top = self.top.get(metric)
                mask &= top.has[:self.size] if top is not None else False
        return mask

    def values(self, sources: tuple[str, ...] | None) -> dict[str, _Values]:
        """metric → each work's value: the highest among ``sources`` (all: the kept top)."""
        if not sources:
            return {m: _Values(v.value[:self.size], v.has[:self.size])
                    for m, v in self.top.items()}
        out: dict[str, _Values] = {}
        for (metric, source), v in self.val.items():
            if source not in sources:
                continue
            held = out.get(metric)
            if held is None:
                out[metric] = _Values(np.where(v.has[:self.size], v.value[:self.size], 0),
                                      v.has[:self.size].copy())
            else:
                both = held.has & v.has[:self.size]
                held.value = np.where(both, np.maximum(held.value, v.value[:self.size]),
                                      np.where(held.has, held.value, v.value[:self.size]))
                held.has |= v.has[:self.size]
        return out

    def source_totals(self) -> list[tuple[str, str, int, int]]:
        """(metric, source, works with a value, sum of the values) over every work (kept,
        see :meth:`_count_in`)."""
        return [(metric, source, works, total)
                for (metric, source), (works, total) in self._source_totals.items() if works]

    def metric_totals(self) -> dict[str, int]:
        """metric → the sum over works of each work's highest value (kept)."""
        return {metric: total for metric, (works, total) in self._metric_totals.items()
                if works}

    def by_source(self, mask: np.ndarray, sources: tuple[str, ...] | None
                  ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """source → how many selected works it gives a value for, and its sum per metric
        (its own values: each source is one group)."""
        present: dict[str, np.ndarray] = {}
        sums: dict[str, dict[str, int]] = {}
        for (metric, source), v in self.val.items():
            if sources and source not in sources:
                continue
            rows = mask & v.has[:self.size]
            if not rows.any():
                continue
            present[source] = present.get(source, np.zeros(self.size, bool)) | rows
            sums.setdefault(source, {})[metric] = int(v.value[:self.size][rows].sum())
        return {s: int(p.sum()) for s, p in present.items()}, sums

    def by_key(self, mask: np.ndarray, kind: str, sources: tuple[str, ...] | None
               ) -> tuple[dict[str | None, int], dict[str | None, dict[str, int]],
                          np.ndarray, np.ndarray]:
        """key (None: the works without one) → how many selected works have it, and the sum
        per metric of their values (:meth:`values`); also the selected pairs' key and label
        ids, for :meth:`least_labels`."""
        pairs = self.keys.get(kind, _Pairs())
        works, keys, labels = pairs.current()
        chosen = mask[works]
        works, keys, labels = works[chosen], keys[chosen], labels[chosen]
        keyless = mask & ~self._key_mask(kind)
        counts = np.bincount(keys, minlength=len(pairs.names))
        members: dict[str | None, int] = {pairs.names[i]: int(counts[i])
                                          for i in np.flatnonzero(counts)}
        nulls = int(keyless.sum())
        if nulls:
            members[None] = nulls
        sums: dict[str | None, dict[str, int]] = {key: {} for key in members}
        for metric, v in self.values(sources).items():
            has = v.has[works]
            n = np.bincount(keys[has], minlength=len(pairs.names))
            # int64 sums: np.add.at keeps them exact (bincount's weights are floats)
            total = np.zeros(len(pairs.names), np.int64)
            np.add.at(total, keys[has], v.value[works[has]])
            for i in np.flatnonzero(n):
                sums[pairs.names[i]][metric] = int(total[i])
            rest = keyless & v.has
            if nulls and rest.any():
                sums[None][metric] = int(v.value[rest].sum())
        return members, sums, keys, labels

    def least_labels(self, kind: str, shown: list[str], keys: np.ndarray,
                     labels: np.ndarray) -> dict[str | None, str | None]:
        """The least display name each ``shown`` key is given by a selected work."""
        pairs = self.keys.get(kind)
        if pairs is None or not shown:
            return {}
        wanted = np.array([pairs.ids[k] for k in shown], dtype=np.int64)
        named = (labels != _NO_LABEL) & np.isin(keys, wanted)
        least: dict[str | None, str | None] = {}
        if not named.any():
            return least
        combos = np.unique(keys[named] * (len(self.labels) + 1) + labels[named])
        for combo in combos.tolist():
            key, label = pairs.names[combo // (len(self.labels) + 1)], \
                self.labels[combo % (len(self.labels) + 1)]
            if least.get(key) is None or label < least[key]:  # type: ignore[operator]
                least[key] = label
        return least


__all__ = ["WorkColumns"]
