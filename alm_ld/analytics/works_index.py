"""The works index (issue 16): a derived, rebuildable SQLite copy of what ``GET /works`` ranks,
filters and groups by, so that every request is a B-tree lookup instead of a scan of the store.

Why SQLite and not the store: Oxigraph has no index ordered by value, so a ranking over 100k
works had to read and sort every work on every request (seconds); a ranking must be kept
ordered as feeds arrive. SQLite is in the standard library (no new dependency), keeps B-trees
ordered by any column, and several processes can read one file (WAL mode) while one writes.

What it holds, per row a validity range of feed sequences ``[vfrom, vto)`` (``vto`` =
:data:`OPEN` while current), so that a cursor made at sequence S still pages the ranking as it
was at S, without gaps or duplicates, while feeds keep arriving:

* ``work``: every work typed ``alm:Work`` in a feed, with the first feed naming it;
* ``val``: per (work, metric, source) the current cumulative value — the rule of
  :mod:`alm_ld.analytics.series` (per observation key the revision of the newest feed,
  :func:`~alm_ld.analytics.series.newest_per_key`; then the latest ``periodEnd``, ties: newest
  feed) — evaluated as of every feed that touched the pair;
* ``top``: per (work, metric) the highest of those values among sources (sources overlap, so
  they are never summed);
* ``descr`` and ``mkey``: per work its current description's title and issue date, and the
  keys it can be filtered and grouped by (ror, orcid, issn, funder, publisher, type,
  issued_year) with their display names, from the feed with the highest sequence describing
  it (:mod:`alm_ld.analytics.work_metadata`);
* ``changed``: per folded feed the works it touched (values, descriptions, new works), the
  last :data:`KEEP_CHANGES` feeds only: what a process's in-memory columns
  (:mod:`alm_ld.analytics.works_columns`, which answer ``group_by``) re-read to catch up
  instead of reading every work again;
* ``info``: ``sequence``, the highest feed sequence folded in, the store it was built
  from, ``generation`` (new at each rebuild) and ``changed_since`` (the sequence from which
  ``changed`` is complete).

How it stays right: every reader calls :func:`works_index`, which compares the mark with the
store's highest feed sequence and folds the newer feeds in, reading only what they touched.
When the current-value view (:mod:`alm_ld.analytics.current_view`) stands at the last of
them — the usual case: ingest writes each feed with its view lines — all of them are folded
at once from it: a feed can only change the cumulative series it counts, and the view holds
each one's current value (and each pair's highest) at a node whose IRI is computed from the
series, so the read is one lookup per series, however long its history. Otherwise (the view
behind: a shared store's writer between publishing and folding) they are folded one at a
time in sequence order from every stored observation of each feed's (work, metric) pairs.
A fold is one SQLite transaction that re-reads the mark first (``BEGIN IMMEDIATE``), so two
processes never fold the same feed twice. An index that is missing, of another version, ahead
of the store or built from another store is rebuilt whole from the store.

Who waits for it: a rebuild reads every feed (minutes at 100k works), so a web request never
does it itself. With a ``timeout`` (every HTTP caller), :func:`works_index` hands catching up
to ONE background thread per index (:meth:`WorksIndex.start_catching_up`) and waits for it at
most ``timeout`` seconds; past that it raises :class:`~alm_ld.errors.IndexBuilding` (503 with
Retry-After and the progress) while the thread goes on. ``alm-ld serve`` starts that thread at
start-up, so the index is usually ready before the first request. Without a ``timeout`` (the
command line, tests) the caller catches up itself, as before.

Where it lives: beside an embedded ``oxigraph:PATH`` store, in ``PATH.works-index.sqlite3``
(it survives restarts, one per store), with its columns saved beside it in
``PATH.works-index.sqlite3.columns.npz`` (:meth:`WorksIndex.columns`: a new process loads
them and catches them up instead of reading every row); in memory for ``memory:``, an
in-memory Oxigraph and ``sparql:`` stores (rebuilt once per process): in a private
temporary file, removed when the index is closed, collected or the process exits, and by the
next process making one if its maker was killed before it could (:func:`_temporary_file`).
"""

from __future__ import annotations

import contextlib
import contextvars
import glob
import logging
import os
import sqlite3
import tempfile
import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from alm_ld.analytics.current_view import held_values, view_sequence
from alm_ld.analytics.observation_rows import (
    Observation,
    feed_sequences,
    feeds_between,
    read_observations,
)
from alm_ld.analytics.series import newest_per_key
from alm_ld.analytics.sparql import iri, select, select_ids
from alm_ld.analytics.works_columns import OPEN, WorkColumns
from alm_ld.errors import AlmLdError, IndexBuilding, StoreUnavailable
from alm_ld.store.base import Store
from alm_ld.store.spec import StoreSpec
from alm_ld.vocab import CUMULATIVE

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: private files are not locked
    fcntl = None  # type: ignore[assignment]

VERSION = "4"
RETRY_AFTER = 5
"""Seconds a client is told to wait (``Retry-After``) while the index is being built."""
log = logging.getLogger(__name__)
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "alm_ld_works_index_deadline", default=None)
"""When the request reading the index (in this thread) must have its answer
(``time.monotonic()``), set by :func:`works_index`; None: no bound (the command line)."""
_READ_AT: contextvars.ContextVar[int] = contextvars.ContextVar(
    "alm_ld_works_index_read_at", default=0)
"""The store's highest feed sequence when :func:`works_index` last answered in this thread,
for :func:`freshness`."""
FRESH_WAIT = 1.0
"""Seconds a request waits for a fold under way before it answers from the index as it
stands (at most its timeout). A feed of a few items folds well within it, so a client that
POSTs a feed and then asks sees it; a 10k-item feed takes seconds at 100k works, and
meanwhile readers are answered at once from the previous feed's state (``meta`` says so)
instead of waiting for it."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (work TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS val (
  work TEXT NOT NULL, metric TEXT NOT NULL, source TEXT NOT NULL, value INTEGER NOT NULL,
  vfrom INTEGER NOT NULL, vto INTEGER NOT NULL DEFAULT {OPEN},
  PRIMARY KEY (work, metric, source, vfrom)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS val_desc ON val (metric, source, value DESC, work, vfrom, vto);
CREATE INDEX IF NOT EXISTS val_asc ON val (metric, source, value, work, vfrom, vto);
CREATE INDEX IF NOT EXISTS val_source ON val (source, metric, work, vfrom, vto, value);
CREATE TABLE IF NOT EXISTS top (
  work TEXT NOT NULL, metric TEXT NOT NULL, value INTEGER NOT NULL,
  vfrom INTEGER NOT NULL, vto INTEGER NOT NULL DEFAULT {OPEN},
  PRIMARY KEY (work, metric, vfrom)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS top_desc ON top (metric, value DESC, work, vfrom, vto);
CREATE INDEX IF NOT EXISTS top_asc ON top (metric, value, work, vfrom, vto);
CREATE TABLE IF NOT EXISTS descr (
  work TEXT NOT NULL, title TEXT, issued TEXT, issued_key TEXT,
  vfrom INTEGER NOT NULL, vto INTEGER NOT NULL DEFAULT {OPEN},
  PRIMARY KEY (work, vfrom)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS descr_issued_asc ON descr (issued_key, work, vfrom, vto);
CREATE INDEX IF NOT EXISTS descr_issued_desc ON descr (issued_key DESC, work, vfrom, vto);
CREATE TABLE IF NOT EXISTS mkey (
  kind TEXT NOT NULL, key TEXT NOT NULL, work TEXT NOT NULL, label TEXT,
  vfrom INTEGER NOT NULL, vto INTEGER NOT NULL DEFAULT {OPEN},
  PRIMARY KEY (kind, key, work, vfrom)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mkey_work ON mkey (work, kind, vfrom, vto);
CREATE TABLE IF NOT EXISTS changed (
  seq INTEGER NOT NULL, work TEXT NOT NULL, PRIMARY KEY (seq, work)) WITHOUT ROWID;
"""
REBUILD_BEHIND = 20

_VALUE_INDEXES = {statement.split(" EXISTS ", 1)[1].split()[0]: statement.strip()
                  for statement in _SCHEMA.split(";")
                  if "CREATE INDEX" in statement and (" ON val " in statement
                                                      or " ON top " in statement)}
"""name → definition of the value tables' secondary indexes (orders of ``sort`` and
``group_by``): what a large write drops and builds again (:func:`_value_indexes_rebuilt`).
The primary keys stay: every write looks a row up by them."""
BULK_ROWS = 100_000
"""Value rows from which a write (a fold, a rebuild) builds the value indexes again after it
instead of inserting into them row by row — when it also writes at least :data:`BULK_SHARE`
rows per work the index held before, i.e. when it rewrites a large share of them."""
BULK_SHARE = 1.0


@contextmanager
def _value_indexes_rebuilt(db: sqlite3.Connection, rows: int) -> Iterator[None]:
    """Inside a write transaction of ``rows`` value rows: when that is large, drop the value
    indexes for the writes and create them again at the end (in the same transaction, so a
    reader — another connection, WAL mode — sees the old ones until it commits, and a failed
    write rolls the drop back too). Why: rows arrive in (work, metric) order while these
    indexes are ordered by value, so each insert lands on a random page of four B-trees; at
    1M works that paged a 7 GB file through SQLite's cache for 20 minutes (one fold of 450
    feeds after a bulk load). Sorting the whole table once per index costs far less
    (``benchmarks.works_index_io write``: 1.5M rows into 1.5M works, 78.0 s → 35.9 s)."""
    # the count scans the work table: only a write already that large pays it
    if rows < BULK_ROWS or rows < db.execute("SELECT COUNT(*) FROM work").fetchone()[0] \
            * BULK_SHARE:
        yield
        return
    for name in _VALUE_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")
    yield
    for statement in _VALUE_INDEXES.values():
        db.execute(statement)


def far_behind(mark: int, top: int) -> bool:
    """Whether rebuilding whole is cheaper than folding the feeds after ``mark`` one by one
    from their observations (when the view cannot serve: see the module docstring): such a
    fold reads each touched pair's history with one query per feed (~1 ms an item at 100k
    works), a rebuild reads every observation in one pass (~0.3 ms an item), so past a quarter
    of the store's feeds (and at least :data:`REBUILD_BEHIND`) — a bulk load, a server started
    after one — the rebuild wins."""
    return top - mark > max(REBUILD_BEHIND, top // 4)


KEEP_CHANGES = 200
"""Feeds whose touched works ``changed`` keeps: a process's columns older than that are read
whole again (2–4 s per 100k works) instead of caught up."""

# Per key: the pattern (inside the describing feed's graph) binding ?key and ?label — the
# same values the filters compare with (identifiers normalised as the feed format does).
KEY_PATTERNS = {
    "ror": "?work schema:author/schema:affiliation ?key . "
           "OPTIONAL { ?key schema:name ?label } FILTER (isIRI(?key) && "
           "STRSTARTS(STR(?key), \"https://ror.org/\"))",
    "issn": "?work schema:isPartOf ?c . ?c schema:issn ?key . "
            "OPTIONAL { ?c dcterms:title ?label }",
    "funder": "?work schema:funder ?key . OPTIONAL { ?key schema:name ?label } "
              "FILTER (!STRSTARTS(STR(?key), \"https://w3id.org/alm-ld/id/\"))",
    "orcid": "?work schema:author ?a . ?a schema:sameAs ?key . "
             "OPTIONAL { ?a schema:name ?label } "
             "FILTER (STRSTARTS(STR(?key), \"https://orcid.org/\"))",
    "publisher": "?work schema:publisher ?label . BIND (LCASE(STR(?label)) AS ?key)",
    "type": "?work schema:additionalType ?key .",
    "issued_year": "?work dcterms:issued ?issued . BIND (SUBSTR(STR(?issued), 1, 4) AS ?key)",
    "title": "?work dcterms:title ?key .",
    "issued": "?work dcterms:issued ?key .",
}
KEY_KINDS = ("ror", "issn", "funder", "orcid", "publisher", "type", "issued_year")


def issued_key(issued: str | None) -> str:
    """``2005-08`` → ``2005-08-00``: every issued value as ten comparable characters."""
    text = (issued or "")[:10]
    return text + "-00-00"[len(text) - 4:] if len(text) in (4, 7) else text


# ---------------------------------------------------------------------------------------------
# Reading the store


_TOPS: weakref.WeakKeyDictionary[Store, tuple[int, int]] = weakref.WeakKeyDictionary()
"""store → (its write generation, its highest feed sequence then)."""


def _store_top(store: Store) -> int:
    """The store's highest feed sequence: what every request compares the index's mark with.
    Kept per write generation when the store counts its writes (an embedded store: no other
    process writes it), since only a write can change it: a request then costs no query of
    the store (a millisecond or more through the query thread)."""
    generation = store.write_generation()
    if generation is not None:
        kept = _TOPS.get(store)
        if kept is not None and kept[0] == generation:
            return kept[1]
    rows = select(store, "SELECT (MAX(?seq) AS ?max) WHERE { GRAPH ?g { ?g alm:sequence ?seq } }")
    value = rows[0].get("max") if rows else None
    top = int(value) if value else 0
    if generation is not None:  # read before the query: a write meanwhile makes a new one
        _TOPS[store] = (generation, top)
    return top


def _first_feed(store: Store) -> str:
    """The IRI of the store's first feed: what tells this store from another one."""
    rows = select(store, "SELECT ?g WHERE { GRAPH ?g { ?g alm:sequence ?seq } } "
                         "ORDER BY ?seq LIMIT 1")
    return rows[0]["g"] if rows else ""


def _view_at(store: Store, top: int) -> bool:
    """Whether the current-value view stands at feed ``top`` (then an index far behind is
    folded from it at once instead of rebuilt from every observation)."""
    return view_sequence(store) == top


def _cumulative_series(store: Store, feed: str) -> set[tuple[str, str, str]]:
    """(work, metric, source) of every cumulative count in ``feed``: the only series whose
    current value the feed can change (one scan of that feed's graph)."""
    return {(str(work), str(metric), str(source)) for work, metric, source in select_ids(
        store, f"""SELECT DISTINCT ?work ?metric ?source WHERE {{ GRAPH {iri(feed)} {{
  ?o alm:aggregation alm:cumulative ; alm:work ?work ; alm:metric ?metric ; alm:source ?source
}} }}""")}


def _typed_works(store: Store, graph: str | None) -> list[tuple[str, str]]:
    """(graph, work) of every work typed ``alm:Work`` in ``graph`` (all graphs when None)."""
    g = iri(graph) if graph else "?g"
    rows = select(store, f"SELECT DISTINCT ?work WHERE {{ GRAPH {g} {{ ?work a alm:Work }} }}"
                  if graph else
                  "SELECT DISTINCT ?g ?work WHERE { GRAPH ?g { ?work a alm:Work . "
                  "?g alm:sequence ?seq } }")
    return [(graph or r["g"], r["work"]) for r in rows]


@dataclass
class Description:
    """One feed's description of one work: title, issue date, keys → display name."""

    title: str | None = None
    issued: str | None = None
    keys: dict[str, dict[str, str | None]] = field(default_factory=dict)


def _descriptions(store: Store, graph: str | None) -> dict[tuple[str, str], Description]:
    """(graph, work) → the description of the work in that feed, for every work a feed
    (``graph``, or any) describes with one of the metadata predicates."""
    from alm_ld.analytics.work_metadata import METADATA_PREDICATES

    g = iri(graph) if graph else "?g"
    head = "" if graph else "?g"
    listed = ", ".join(f"<{p}>" for p in METADATA_PREDICATES)
    out: dict[tuple[str, str], Description] = {}
    for row in select(store, f"""SELECT DISTINCT {head} ?work WHERE {{ GRAPH {g} {{
  ?work a alm:Work ; ?p ?o . {"" if graph else "?g alm:sequence ?seq ."}
  FILTER (?p IN ({listed})) }} }}"""):
        out[(graph or row["g"], row["work"])] = Description()
    if not out:
        return out
    unions = " UNION ".join(f'{{ {pattern} BIND ("{kind}" AS ?kind) }}'
                            for kind, pattern in KEY_PATTERNS.items())
    for row in select(store, f"""SELECT {head} ?work ?kind ?key ?label WHERE {{ GRAPH {g} {{
  ?work a alm:Work . {"" if graph else "?g alm:sequence ?seq ."}
  {unions} }} }}"""):
        described = out.get((graph or row["g"], row["work"]))
        if described is None:
            continue
        kind, key = row["kind"], row["key"]
        if kind == "title":
            described.title = described.title or key
        elif kind == "issued":
            described.issued = described.issued or key
        else:
            known = described.keys.setdefault(kind, {})
            known[key] = known.get(key) or row.get("label")
    return out


# ---------------------------------------------------------------------------------------------
# Current values (pure): the one rule of "current", as of a feed


def _as_of(observations: Iterable[Observation], cutoff: int) -> list[Observation]:
    """The observations as the store held them once feed ``cutoff`` was in."""
    seen = []
    for obs in observations:
        held = [seq for seq in obs.seqs if seq <= cutoff]
        if held:
            seen.append(replace(obs, sequence=max(held)))
    return seen


def current_cumulative(observations: Iterable[Observation]) -> dict[str, int]:
    """source → current cumulative value of ONE (work, metric) pair's observations."""
    revisions = newest_per_key(
        (o for o in observations if o.aggregation == CUMULATIVE),
        key=lambda o: (o.source, o.start, o.end), rank=lambda o: (o.sequence, o.iri))
    latest: dict[str, Observation] = {}
    for obs in revisions:
        seen = latest.get(obs.source)
        if seen is None or (obs.end, obs.sequence, obs.iri) > (seen.end, seen.sequence,
                                                               seen.iri):
            latest[obs.source] = obs
    return {source: obs.value for source, obs in latest.items()}


# ---------------------------------------------------------------------------------------------
# The index


class WorksIndex:
    """One SQLite database (see the module docstring); thread-safe (one lock per index)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.lock = threading.RLock()
        """Held by whoever writes (a fold, a rebuild) on :attr:`_db`, for the whole catch-up."""
        self._file, lock = (path, None) if path else _temporary_file()
        self._remove = weakref.finalize(self, _remove_files, "" if path else self._file, lock)
        """Removes a private file (standing for memory) when the index is closed or gone, then
        lets go of its lock (registered before connecting: a failed connection removes it too)."""
        self._db = self._connect()
        self._read_lock = threading.RLock()
        """Guards :attr:`_reader`, the connection every read uses. Why two connections: in
        WAL mode a reader sees the last committed fold while the next one is written, so a
        request is never queued behind a fold (seconds at 100k works) or a rebuild
        (minutes)."""
        self._reader = self._connect()
        self.answers: dict[tuple, object] = {}
        """Answers kept for the current mark (counts, groups); emptied when it moves."""
        self._answers_mark = -1
        self._checked: weakref.ref[Store] | None = None
        """The store object this index was last checked to belong to (its first feed): while
        the same object asks, a request costs one query of the store's mark, not two."""
        self._mark = -1
        """The mark as of the last catch-up in this process, read without the lock (a builder
        holds the lock for a whole fold or rebuild; a request must not queue behind it)."""
        self.progress: tuple[int, int] = (0, 0)
        """(feeds folded, feeds to fold) of the catch-up under way, for the 503's detail."""
        self.rebuilding = False
        self._rebuild_started = 0.0
        self._build_guard = threading.Lock()
        self._builder: threading.Thread | None = None
        self._built = threading.Event()
        self.build_error: BaseException | None = None
        self._columns = WorkColumns()
        self._saved_at = -1
        """The sequence of the columns saved beside the index file (or loaded from it) by
        this process; -1 when none yet: a whole read saves them."""

    def _connect(self) -> sqlite3.Connection:
        if self.path:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._file, check_same_thread=False, isolation_level=None,
                             timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        # a private file is rebuilt by the next process anyway: no need to survive a crash
        db.execute("PRAGMA synchronous=NORMAL" if self.path else "PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-65536")
        db.executescript(_SCHEMA)
        return db

    def close(self) -> None:
        with self.lock, self._read_lock:
            self._reader.close()
            self._db.close()
        self._remove()

    # -- reading ------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The readers' lock (one reading connection per process), waited for no longer than
        the request may wait: another request may be reading the columns whole (seconds at
        1M works), so past the request's deadline the read is a 503 ``index-building``, not a
        hang. Folds do not take it."""
        deadline = _DEADLINE.get()
        if deadline is None:
            self._read_lock.acquire()
        elif not self._read_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self.building_error(max(0, self._mark))
        try:
            yield
        finally:
            self._read_lock.release()

    def rows(self, sql: str, params: dict[str, object] | tuple = ()) -> list[tuple]:
        with self._locked(), _unavailable(self.path):
            return self._reader.execute(sql, params).fetchall()

    @contextmanager
    def reading(self) -> Iterator[int]:
        """One consistent read of the index: one SQLite read transaction (folds committed
        after it began, in this process or another, are not seen until it ends). Yields the
        feed sequence the index is at (what :meth:`columns` are caught up to). Temporary tables
        made inside belong to the reading connection and stay private while it lasts."""
        with self._locked(), _unavailable(self.path):
            self._reader.execute("BEGIN")
            try:
                row = self._reader.execute(
                    "SELECT value FROM info WHERE name = 'sequence'").fetchone()
                yield int(row[0]) if row else 0
            finally:
                self._reader.execute("COMMIT")

    def columns(self, sequence: int) -> WorkColumns:
        """This process's in-memory columns of the current rows, caught up to ``sequence``
        (call inside :meth:`reading`, which yields it): the works folded in since they were
        last caught up are re-read, or all of them when ``changed`` no longer holds those
        feeds or the index was rebuilt since."""
        with self._locked(), _unavailable(self.path):
            info = dict(self._reader.execute("SELECT name, value FROM info WHERE name IN "
                                             "('generation', 'changed_since')"))
            generation, since = info.get("generation") or "", int(info.get("changed_since") or 0)
            kept = self._columns
            if kept.sequence == sequence and kept.generation == generation:
                return kept

            def usable(columns: WorkColumns) -> bool:
                return columns.generation == generation and since <= columns.sequence <= sequence

            if not usable(kept) and self.path:
                saved = WorkColumns.load(self._saved_path)
                if saved is not None and usable(saved):
                    kept = self._columns = saved
                    self._saved_at = saved.sequence
            whole = not usable(kept)
            if whole:
                kept.read_whole(self._reader, sequence, generation)
            else:
                kept.catch_up(self._reader, sequence, generation)
            if self.path and (whole or kept.sequence - self._saved_at >= KEEP_CHANGES // 2):
                self._save_columns(kept)
            return kept

    @property
    def _saved_path(self) -> str:
        return f"{self.path}.columns.npz"

    def _save_columns(self, columns: WorkColumns) -> None:
        """Save the columns for the next process (:meth:`WorkColumns.save`): after a whole
        read, and again once they have moved half of :data:`KEEP_CHANGES` feeds past the
        saved ones, so that the saved file stays within what ``changed`` can catch up. A
        folder that cannot take it only costs the next process the whole read."""
        try:
            columns.save(self._saved_path)
        except OSError:
            return
        self._saved_at = columns.sequence

    def info(self, name: str) -> str | None:
        row = self.rows("SELECT value FROM info WHERE name = ?", (name,))
        return row[0][0] if row else None

    @property
    def sequence(self) -> int:
        return int(self.info("sequence") or 0)

    def kept(self, mark: int, key: tuple, compute):  # type: ignore[no-untyped-def]
        """An answer computed at ``mark``, kept until the mark moves (counts and groups do
        not change between feeds, and every page of a paging client would count again)."""
        with self._locked():
            if self._answers_mark != mark:
                self.answers.clear()
                self._answers_mark = mark
            if key in self.answers:
                return self.answers[key]
        answer = compute()
        with self._locked():
            if self._answers_mark == mark:
                if len(self.answers) > 256:
                    self.answers.clear()
                self.answers[key] = answer
        return answer

    # -- catching up ----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def catch_up(self, store: Store) -> int:
        """Fold every feed newer than the mark in (rebuilding when the index is not this
        store's, or is :func:`far_behind` it); return the mark."""
        top = _store_top(store)
        mark = self.sequence
        checked = self._checked() if self._checked is not None else None
        if mark == top and checked is store:
            self._mark = mark
            return mark
        with self.lock:
            first = _first_feed(store)
            mark = self.sequence
            if (self.info("version") != VERSION or self.info("first_feed") != first
                    or mark > top or (far_behind(mark, top) and not _view_at(store, top))):
                self.progress, self.rebuilding = (0, top), True
                self._rebuild_started = time.monotonic()
                try:
                    self._rebuild(store, top, first)
                finally:
                    self.rebuilding = False
                self.progress = (top, top)
                self._checked = weakref.ref(store)
                self._mark = top
                return top
            self._checked = weakref.ref(store)
            if mark < top:
                # Writers publish sequences in order, never skipping one (docs/store.md,
                # claims), so a feed below the mark cannot appear later.
                todo = feeds_between(store, mark, top)
                self.progress = (0, len(todo))
                if not self._fold_from_view(store, todo):
                    for done, (feed, sequence) in enumerate(todo):
                        self.progress = (done, len(todo))
                        self._fold(store, feed, sequence)
                self.progress = (len(todo), len(todo))
            self._mark = self.sequence
            return self._mark

    # -- catching up in the background ----------------------------------------------------

    def current(self, store: Store, top: int) -> bool:
        """Whether this process already caught up with ``store`` at ``top`` (no lock taken)."""
        checked = self._checked() if self._checked is not None else None
        return self._mark == top and checked is store

    def servable(self, store: Store) -> int | None:
        """The sequence of the last committed fold when the index holds ``store``'s data (of
        this version, built from the same first feed, not ahead of it) — a state a reader may
        be answered from while a fold is under way —, else None (missing, another version or
        store: it must be rebuilt before anything is read)."""
        checked = self._checked() if self._checked is not None else None
        if checked is not store:
            info = dict(self.rows("SELECT name, value FROM info"))
            if (info.get("version") != VERSION or "sequence" not in info
                    or info.get("first_feed") != _first_feed(store)
                    or int(info["sequence"]) > _store_top(store)):
                return None
            self._checked = weakref.ref(store)
            return int(info["sequence"])
        return self.sequence

    def building(self) -> bool:
        builder = self._builder
        return builder is not None and builder.is_alive()

    def start_catching_up(self, store: Store,
                          report: Callable[[str], None] | None = None) -> threading.Event:
        """Catch up with ``store`` in ONE daemon thread per index (started here unless one
        runs); return the event set when it is done. Across processes, ``BEGIN IMMEDIATE``
        serialises the folds (the second finds them done)."""
        with self._build_guard:
            if self.building():
                return self._built
            built = self._built = threading.Event()
            self.build_error = None

            def run() -> None:
                started = time.monotonic()
                try:
                    mark = self.catch_up(store)
                    with self.reading() as now:  # the first group_by need not read them
                        self.columns(now)
                    line = (f"works index {self.path or '(in memory)'}: at feed sequence "
                            f"{mark} ({time.monotonic() - started:.1f} s)")
                    log.info(line)
                    if report is not None:
                        report(line)
                except BaseException as error:  # noqa: BLE001 - kept for the waiting request
                    self.build_error = error
                    log.exception("the works index %s could not be built", self.path)
                    if report is not None:
                        report(f"works index could not be built: {error}")
                finally:
                    built.set()

            self._builder = threading.Thread(target=run, name="alm-ld-works-index",
                                             daemon=True)
            self._builder.start()
            return built

    def building_error(self, top: int) -> IndexBuilding:
        """The 503 a request gets while the builder works (``top``: the store's mark, the
        total when the builder has not counted yet)."""
        folded, total = self.progress
        if not total:
            total = max(0, top - max(0, self._mark))
        if self.rebuilding:  # one pass over every feed at once: no count of feeds done
            doing = (f"rebuilding it whole from the store's {total} feeds, "
                     f"{time.monotonic() - self._rebuild_started:.0f} s so far")
        else:
            doing = f"{folded} of {total} feeds folded in"
        return IndexBuilding(
            f"The works index is being brought up to date ({doing}); GET /works answers once "
            f"it is. Try again in {RETRY_AFTER} s.", retryAfterSeconds=RETRY_AFTER,
            feedsFolded=folded, feedsTotal=total)

    def _rebuild(self, store: Store, top: int, first: str) -> None:
        """Build the whole index from the store (every feed up to ``top``), unless another
        process sharing the file rebuilt it meanwhile (a new generation at ``top``, of this
        version and store): two workers finding it missing read the store twice, but write
        it once."""
        generation = self.info("generation")
        sequences = feed_sequences(store)
        observations = [o for o in read_observations(store, upto=top)]
        typed = _typed_works(store, None)
        described = _descriptions(store, None)
        with self._write() as db:
            now = dict(db.execute("SELECT name, value FROM info").fetchall())
            if (now.get("generation") != generation and now.get("sequence") == str(top)
                    and now.get("version") == VERSION and now.get("first_feed") == first):
                return
            for table in ("work", "val", "top", "descr", "mkey", "info", "changed"):
                db.execute(f"DELETE FROM {table}")
            since: dict[str, int] = {}
            for graph, work in typed:
                seq = sequences.get(graph)
                if seq is not None and seq <= top:
                    since[work] = min(seq, since.get(work, seq))
            db.executemany("INSERT INTO work VALUES (?, ?)", sorted(since.items()))
            by_pair: dict[tuple[str, str], list[Observation]] = defaultdict(list)
            for obs in observations:
                by_pair[(obs.work, obs.metric)].append(obs)
            with _value_indexes_rebuilt(db, len(observations)):
                for members in by_pair.values():
                    for seq in sorted({s for o in members for s in o.seqs}):
                        self._apply_values(db, members, seq)
            by_seq = sorted(((sequences[g], work, d) for (g, work), d in described.items()
                             if g in sequences and sequences[g] <= top),
                            key=lambda t: (t[0], t[1]))
            for seq, work, description in by_seq:
                self._apply_description(db, work, description, seq)
            self._set_info(db, top, first)
            db.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)",
                           [("generation", uuid.uuid4().hex), ("changed_since", str(top))])
        with self.lock:
            self._db.execute("ANALYZE")

    def _fold_from_view(self, store: Store, todo: list[tuple[str, int]]) -> bool:
        """Fold the feeds ``todo`` (the mark's successors, in sequence order) in at once from
        the current-value view, when it stands exactly at the last of them; whether it did
        (False: the view is behind or ahead, fold feed by feed from the observations).

        Why: a feed can only change the current value of the cumulative series it has counts
        of, and the view holds that value (and each pair's highest) at a node whose IRI is
        computed from the series: one lookup each, however long the series' history, where
        :meth:`_fold` reads every stored observation of the feed's pairs (~1 ms an item at
        100k works with one date each, and growing with every date harvested). The values are
        written as of the last feed: no reader ever saw the index between the two marks."""
        if not todo:
            return True
        top = todo[-1][1]
        series: set[tuple[str, str, str]] = set()
        for feed, _ in todo:
            series |= _cumulative_series(store, feed)
        held = held_values(store, series)
        if held is None or held.mark != top:
            return False
        feeds = [(feed, seq, _typed_works(store, feed), _descriptions(store, feed))
                 for feed, seq in todo]
        with self._write() as db:
            mark = int((db.execute("SELECT value FROM info WHERE name = 'sequence'")
                        .fetchone() or ("0",))[0])
            if mark >= top:
                return True  # folded meanwhile (another process)
            touched: set[tuple[int, str]] = set()
            for _, seq, typed, _ in feeds:
                for _, work in typed:
                    if seq > mark and db.execute("INSERT OR IGNORE INTO work VALUES (?, ?)",
                                                 (work, seq)).rowcount:
                        touched.add((seq, work))
            with _value_indexes_rebuilt(db, len(held.values) + len(held.highest)):
                for (work, metric, source), value in sorted(held.values.items()):
                    if self._set_value(db, work, metric, source, value, top):
                        touched.add((top, work))
                for (work, metric), highest in sorted(held.highest.items()):
                    if self._set_top(db, work, metric, highest, top):
                        touched.add((top, work))
            for _, seq, _, described in feeds:
                if seq > mark:
                    for (_, work), description in sorted(described.items()):
                        self._apply_description(db, work, description, seq)
                        touched.add((seq, work))
            self._record_changes(db, touched, top)
        return True

    def _record_changes(self, db: sqlite3.Connection, touched: Iterable[tuple[int, str]],
                        top: int) -> None:
        """Note the works a fold touched (for the columns' catch-up), forget the feeds older
        than :data:`KEEP_CHANGES`, move the mark to ``top``."""
        db.executemany("INSERT OR IGNORE INTO changed VALUES (?, ?)", sorted(touched))
        if top > KEEP_CHANGES:
            oldest = top - KEEP_CHANGES
            db.execute("DELETE FROM changed WHERE seq <= ?", (oldest,))
            db.execute("UPDATE info SET value = ? WHERE name = 'changed_since' AND "
                       "CAST(value AS INTEGER) < ?", (str(oldest), oldest))
        db.execute("INSERT OR REPLACE INTO info VALUES ('sequence', ?)", (str(top),))

    def _fold(self, store: Store, feed: str, sequence: int) -> None:
        """Fold one feed in (what it touched only); a no-op when another process did."""
        observations = read_observations(store, feed)
        typed = _typed_works(store, feed)
        described = _descriptions(store, feed)
        with self._write() as db:
            mark = int((db.execute("SELECT value FROM info WHERE name = 'sequence'")
                        .fetchone() or ("0",))[0])
            if mark >= sequence:
                return  # folded meanwhile (another process, another thread)
            touched: set[str] = set()
            for _, work in typed:
                if db.execute("INSERT OR IGNORE INTO work VALUES (?, ?)",
                              (work, sequence)).rowcount:
                    touched.add(work)
            by_pair: dict[tuple[str, str], list[Observation]] = defaultdict(list)
            for obs in observations:
                by_pair[(obs.work, obs.metric)].append(obs)
            for (work, _), members in by_pair.items():
                if self._apply_values(db, members, sequence):
                    touched.add(work)
            for (_, work), description in sorted(described.items()):
                self._apply_description(db, work, description, sequence)
                touched.add(work)
            self._record_changes(db, ((sequence, work) for work in touched), sequence)

    def _set_info(self, db: sqlite3.Connection, top: int, first: str) -> None:
        db.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)",
                       [("sequence", str(top)), ("first_feed", first), ("version", VERSION)])

    @staticmethod
    def _apply_values(db: sqlite3.Connection, members: list[Observation], seq: int) -> bool:
        """Make the index say, from ``seq`` on, what one (work, metric) pair's values are as
        of feed ``seq`` (rows that changed are closed at ``seq``, new ones opened); whether
        a value changed."""
        visible = _as_of(members, seq)
        if not visible:
            return False
        work, metric = members[0].work, members[0].metric
        now = current_cumulative(visible)
        held = dict(db.execute("SELECT source, value FROM val WHERE work = ? AND metric = ? "
                               f"AND vto = {OPEN}", (work, metric)).fetchall())
        changed = False
        for source, value in now.items():
            changed = WorksIndex._set_value(db, work, metric, source, value, seq) or changed
        highest = max({**held, **now}.values()) if (held or now) else None
        if highest is None:
            return changed
        return WorksIndex._set_top(db, work, metric, highest, seq) or changed

    @staticmethod
    def _set_value(db: sqlite3.Connection, work: str, metric: str, source: str, value: int,
                   seq: int) -> bool:
        """From ``seq`` on, the series' current value is ``value`` (the row that held
        before closed at ``seq``); whether it changed."""
        row = db.execute("SELECT value FROM val WHERE work = ? AND metric = ? AND "
                         f"source = ? AND vto = {OPEN}", (work, metric, source)).fetchone()
        if row is not None and row[0] == value:
            return False
        if row is not None:
            db.execute(f"UPDATE val SET vto = ? WHERE work = ? AND metric = ? AND source = ? "
                       f"AND vto = {OPEN}", (seq, work, metric, source))
        db.execute("INSERT OR REPLACE INTO val (work, metric, source, value, vfrom) "
                   "VALUES (?, ?, ?, ?, ?)", (work, metric, source, value, seq))
        return True

    @staticmethod
    def _set_top(db: sqlite3.Connection, work: str, metric: str, highest: int,
                 seq: int) -> bool:
        """From ``seq`` on, the pair's highest value is ``highest``; whether it changed."""
        row = db.execute(f"SELECT value FROM top WHERE work = ? AND metric = ? AND vto = {OPEN}",
                         (work, metric)).fetchone()
        if row is not None and row[0] == highest:
            return False
        if row is not None:
            db.execute(f"UPDATE top SET vto = ? WHERE work = ? AND metric = ? AND vto = {OPEN}",
                       (seq, work, metric))
        db.execute("INSERT OR REPLACE INTO top (work, metric, value, vfrom) VALUES (?, ?, ?, ?)",
                   (work, metric, highest, seq))
        return True

    @staticmethod
    def _apply_description(db: sqlite3.Connection, work: str, description: Description,
                           seq: int) -> None:
        """From ``seq`` on, ``description`` is the work's current one (the newest feed
        describing a work wins whole: two feeds' descriptions are never mixed)."""
        db.execute(f"UPDATE descr SET vto = ? WHERE work = ? AND vto = {OPEN}", (seq, work))
        db.execute(f"UPDATE mkey SET vto = ? WHERE work = ? AND vto = {OPEN}", (seq, work))
        db.execute("INSERT OR REPLACE INTO descr (work, title, issued, issued_key, vfrom) "
                   "VALUES (?, ?, ?, ?, ?)",
                   (work, description.title, description.issued,
                    issued_key(description.issued) if description.issued else None, seq))
        db.executemany("INSERT OR REPLACE INTO mkey (kind, key, work, label, vfrom) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [(kind, key, work, label, seq)
                        for kind, keys in description.keys.items()
                        for key, label in keys.items()])


# ---------------------------------------------------------------------------------------------
# One index per store

_BY_PATH: dict[str, WorksIndex] = {}
_BY_STORE: weakref.WeakKeyDictionary[Store, WorksIndex] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def index_path(store: Store) -> str | None:
    """Where the index of ``store`` lives on disk (None: in memory, see the module
    docstring): the file the store was opened with (``ALM_LD_WORKS_INDEX``, which
    ``serve --workers N`` sets for its workers' ``sparql:`` store), else beside an embedded
    store's folder."""
    if store.works_index_path:
        return store.works_index_path
    path = getattr(store, "path", None)
    if isinstance(path, str) and path and StoreSpec.parse(store.spec).on_disk:
        return index_beside(path)
    return None


def index_beside(folder: str) -> str:
    """The works index file of the embedded store in ``folder``."""
    return str(Path(folder).with_name(Path(folder).name + ".works-index.sqlite3"))


@contextmanager
def _unavailable(path: str | None) -> Iterator[None]:
    """A SQLite failure (a full disk, a read-only folder, a locked file past the timeout) is
    the service's, not the client's: a 503 problem naming the file, never a 500."""
    try:
        yield
    except sqlite3.Error as error:
        raise StoreUnavailable(
            f"The works index {path or '(in memory)'} cannot be used: {error}. Check that its "
            "folder is writable and has space; deleting the file makes the next request "
            "rebuild it.") from error


def _index_of(store: Store) -> WorksIndex:
    path = index_path(store)
    with _GUARD, _unavailable(path):
        if path is not None:
            index = _BY_PATH.get(path)
            if index is None:
                index = _BY_PATH[path] = WorksIndex(path)
        else:
            index = _BY_STORE.get(store)
            if index is None:
                index = _BY_STORE[store] = WorksIndex(None)
    return index


def works_index(store: Store, timeout: float | None = None) -> tuple[WorksIndex, int]:
    """The index of ``store`` and the feed sequence to read it at (what every reader calls).

    ``timeout`` (every web request): catching up is left to the index's background thread.
    When the index already holds this store's data (:meth:`WorksIndex.servable`), the
    request waits for the thread at most :data:`FRESH_WAIT` seconds, then is answered as of
    the last committed fold (:func:`freshness` says how many feeds it lacks): readers never
    queue behind a fold. When it does not (missing, being built whole for the first time),
    the request waits at most ``timeout``; past it, :class:`~alm_ld.errors.IndexBuilding`
    (503). The same deadline bounds this thread's later reads of the index.
    None: caught up here, however long it takes (the command line)."""
    index = _index_of(store)
    _DEADLINE.set(None if timeout is None else time.monotonic() + max(0.0, timeout))
    if timeout is None:
        with _unavailable(index.path):
            mark = index.catch_up(store)
        _READ_AT.set(mark)
        return index, mark
    started = time.monotonic()
    with _unavailable(index.path):
        top = _store_top(store)
        if index.current(store, top) and not index.building():
            _READ_AT.set(top)
            return index, top
        servable = index.servable(store)
    deadline = started + max(0.0, timeout)
    fresh_by = deadline if servable is None else min(deadline, started + FRESH_WAIT)
    waited = False
    while True:
        if waited and not index.building():
            with _unavailable(index.path):
                top = _store_top(store)
            if index.current(store, top):
                _READ_AT.set(top)
                return index, top
        if waited and time.monotonic() >= fresh_by:  # a feed arrived meanwhile: still behind
            break
        built = index.start_catching_up(store)
        if not built.wait(max(0.0, fresh_by - time.monotonic())):
            break
        waited = True
        error = index.build_error
        if isinstance(error, AlmLdError):
            raise error
        if isinstance(error, sqlite3.Error):
            with _unavailable(index.path):
                raise error
        if error is not None:
            raise StoreUnavailable(f"The works index could not be built: {error}") from error
    with _unavailable(index.path):
        mark = index.servable(store)
    if mark is None:
        raise index.building_error(top)
    _READ_AT.set(max(mark, top))
    return index, mark


def freshness(answered: int) -> dict[str, int]:
    """What an answer's ``meta`` says of its state: ``as_of_sequence``, the highest feed
    sequence it includes (``answered``), and ``feeds_pending``, how many feeds the store held,
    when :func:`works_index` last answered this thread, that it does not include yet (0
    unless the index was being caught up; ask again to see them)."""
    top = _READ_AT.get()
    return {"as_of_sequence": answered, "feeds_pending": max(0, top - answered)}


def build_in_background(store: Store, report: Callable[[str], None] | None = None) -> None:
    """Start catching the index of ``store`` up without waiting (``alm-ld serve`` start-up:
    the server answers at once, ``GET /works`` answers 503 ``index-building`` until done)."""
    if report is not None:
        report(f"works index {index_path(store) or '(in memory)'}: catching up in the "
               "background")
    _index_of(store).start_catching_up(store, report)


_PREFIX, _SUFFIX = "alm-ld-works-index-", ".sqlite3"
ORPHAN_AGE = 60.0
"""Seconds a private file with no lock held must have been left unchanged before another
process removes it (:func:`_remove_orphans`)."""
_OWN: set[str] = set()
"""This process's private files: never opened by :func:`_remove_orphans`, as closing any
descriptor of a file drops the POSIX locks SQLite holds on it in this process."""


def _temporary_file() -> tuple[str, int | None]:
    """A private file for the index of a store without a folder (it used to be ``:memory:``,
    but a reader's connection must see the writer's commits: two connections, one file), and
    the descriptor holding its lock (None where there is no ``flock``).

    Why a lock: closing, collecting or a normal exit removes the file (the finalizer), but a
    process ended by a signal runs none of that (``alm-ld serve --server dev`` stopped with
    SIGTERM: werkzeug leaves SIGTERM's default action, which ends the process at once; SIGKILL;
    a forked worker's ``os._exit``), and every such run left one file and its ``-wal``/``-shm``
    behind. The kernel lets go of the lock however its holder ends, so the files whose lock is
    free belong to no live index: each new private file first removes those."""
    folder = tempfile.gettempdir()
    _remove_orphans(folder)
    handle, name = tempfile.mkstemp(prefix=_PREFIX, suffix=_SUFFIX, dir=folder)
    if fcntl is None:  # pragma: no cover - not on POSIX
        os.close(handle)
        return name, None
    fcntl.flock(handle, fcntl.LOCK_EX)
    _OWN.add(name)
    return name, handle


def _remove_orphans(folder: str) -> None:
    """Remove the private files (with their ``-wal``/``-shm``) that no process holds the lock
    of and that have not changed for :data:`ORPHAN_AGE` seconds: the age spares a file being
    made this very moment, or held by an alm-ld from before the lock, which holds none. Another
    user's files cannot be opened (``mkstemp`` makes them private) and are left alone."""
    if fcntl is None:  # pragma: no cover - not on POSIX
        return
    for name in glob.glob(os.path.join(glob.escape(folder), f"{_PREFIX}*{_SUFFIX}")):
        if name in _OWN:
            continue
        try:
            handle = os.open(name, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile, or not ours
        try:
            if time.time() - os.fstat(handle).st_mtime >= ORPHAN_AGE:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # refused: an index in use
                _remove_files(name)
        except OSError:
            pass  # in use (or gone meanwhile): left to its index
        finally:
            os.close(handle)


def _remove_files(name: str, lock: int | None = None) -> None:
    if not name:
        return  # the index of a store folder stays (it survives restarts)
    for suffix in ("-wal", "-shm", ""):  # the main file last: while it exists, so does its lock
        with contextlib.suppress(OSError):
            os.remove(name + suffix)
    if lock is not None:  # only once the files are gone: they are never unlocked while named
        _OWN.discard(name)
        with contextlib.suppress(OSError):
            os.close(lock)


def fold_soon(store: Store) -> bool:
    """After an ingest in this process: start folding the new feed into the works index now,
    if this process already serves it (an index it caught up before), so the next reader
    finds it done. Whether a catch-up was started; an index nobody here has read is left
    for its first reader (a rebuild is not started by a write)."""
    path = index_path(store)
    with _GUARD:
        index = _BY_PATH.get(path) if path is not None else _BY_STORE.get(store)
    if index is None or index._mark < 0:
        return False
    index.start_catching_up(store)
    return True


__all__ = ["KEY_KINDS", "KEY_PATTERNS", "OPEN", "RETRY_AFTER", "WorksIndex",
           "build_in_background", "current_cumulative", "fold_soon", "freshness", "index_beside",
           "index_path", "issued_key", "works_index"]
