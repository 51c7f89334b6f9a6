"""Snapshots and deltas in the dumps folder, described by a manifest (``index.json``).

A **snapshot** at sequence ``W`` holds feeds ``1..W``; the **delta** written with it holds the
feeds ingested since the previous snapshot (``P+1..W``). ``W`` is the change feed's watermark
(:func:`alm_ld.analytics.changes.watermark`: the highest sequence below which no feed can still
appear, where ``/changes`` puts its ``last`` cursor), less any newest feeds whose alerts are
still being written (:func:`settled_watermark`), so a mirror that loaded a snapshot and the
deltas up to ``W`` continues with ``/changes?cursor=<after feed W>``.

Files (gzip; the ``mtime`` in the gzip header is 0 so equal data gives equal bytes)::

    snapshot-000012.nq.gz        N-Quads, feeds 1..12 with their alert graphs
    snapshot-000012.jsonl.gz     JSON-LD lines, one feed per line (v1 context)
    snapshot-000012.csv.gz       current values: work, metric, source, value, as_of
    delta-000009-000012.nq.gz    N-Quads, feeds 9..12
    delta-000009-000012.jsonl.gz JSON-LD lines, feeds 9..12

Each file is written under a temporary name and renamed when complete; the manifest is
rewritten (same way) after the files of a snapshot exist, under a lock file, so a reader never
sees a manifest naming a missing or partial file, and two ``alm-ld snapshot`` runs at once
(a timer in ``serve`` and a cron job) do not interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alm_ld.analytics.changes import GAP_GRACE_SECONDS, watermark
from alm_ld.analytics.hooks import alerts_computed
from alm_ld.analytics.timeutil import moment_of
from alm_ld.config import Settings
from alm_ld.errors import NotFound, UsageError
from alm_ld.exchange.writers import (
    Counts,
    current_values_csv,
    feeds_between,
    jsonld_lines,
    licences,
    nquads_chunks,
    write_gzip,
)
from alm_ld.store.base import Store
from alm_ld.store.spec import StoreSpec

MANIFEST = "index.json"
FORMATS = {
    "nquads": ("nq.gz", "application/n-quads"),
    "jsonld-lines": ("jsonl.gz", "application/x-ndjson"),
    "csv": ("csv.gz", "text/csv"),
}
"""format → (file suffix, media type of the uncompressed content; files are gzip)."""
_KIND_OF_FORMAT = {"nquads": "nquads", "jsonld-lines": "jsonld", "csv": "csv"}


def dumps_folder(settings: Settings) -> str:
    """The dumps folder: ``dumps_dir``, else a ``dumps`` folder beside an embedded store
    (``oxigraph:var/store`` → ``var/dumps``); for ``memory:``, whose data ends with the
    process, a folder of this process in the temporary directory (never the files of an
    earlier run describing another dataset); else ``./var/dumps``. Here, not in
    :mod:`alm_ld.config`, because it reads the store spec, which only
    :class:`~alm_ld.store.spec.StoreSpec` parses."""
    if settings.dumps_dir:
        return settings.dumps_dir
    spec = StoreSpec.parse(settings.store)
    if spec.on_disk:
        return os.path.join(os.path.dirname(os.path.abspath(spec.path)), "dumps")
    if spec.scheme == "memory":
        return os.path.join(tempfile.gettempdir(), f"alm-ld-dumps-{os.getpid()}")
    return os.path.join(".", "var", "dumps")


def folder(settings: Settings) -> Path:
    return Path(dumps_folder(settings))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def read_manifest(dumps: Path) -> dict[str, Any]:
    """The stored manifest, or an empty one when no snapshot was made yet."""
    try:
        return json.loads((dumps / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"snapshots": [], "deltas": []}


def _write_manifest(dumps: Path, manifest: dict[str, Any]) -> None:
    partial = dumps / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    partial.replace(dumps / MANIFEST)


@contextlib.contextmanager
def _locked(dumps: Path) -> Iterator[None]:
    with open(dumps / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _file(dumps: Path, name: str, fmt: str, first: int, last: int,
          make: Callable[[Counts], Iterator[bytes]], sources: dict[str, list[str]]
          ) -> dict[str, Any]:
    counts = Counts()
    size, sha256 = write_gzip(dumps / name, make(counts))
    suffix, media = FORMATS[fmt]
    return {"name": name, "format": fmt, "mediaType": media, "encoding": "gzip",
            "sequence": {"first": first, "last": last}, "size": size, "sha256": sha256,
            "records": counts.as_dict(_KIND_OF_FORMAT[fmt]), "licenses": sources}


def settled_watermark(store: Store, now: datetime | None = None) -> int:
    """The change feed's watermark, less the newest feeds whose alerts are not written yet.

    A feed is committed first and its alert graph just after (analytics.hooks); a file or a
    live tail cut in between would carry the feed without its alerts, and no later file would
    bring them (they belong to a sequence the mirror has passed). So files end before such a
    feed — unless it is older than :data:`GAP_GRACE_SECONDS` (an ingest stopped between the two
    writes: its alerts come only with a re-send, which must not block every later dump)."""
    now = now or datetime.now(UTC)
    upto = watermark(store, now=now)
    while upto > 0:
        feed = next(feeds_between(store, upto, upto), None)
        if feed is None or alerts_computed(store, feed.iri):
            return upto
        if (now - moment_of(feed.ingested_at)).total_seconds() >= GAP_GRACE_SECONDS:
            return upto
        upto -= 1
    return upto


def make_snapshot(store: Store, settings: Settings, *, now: datetime | None = None,
                  keep: int | None = None) -> dict[str, Any] | None:
    """Write a snapshot at the current watermark (and the delta since the previous one) and
    return its manifest entry; ``None`` when the newest snapshot is already at the watermark
    (nothing was ingested since).
    ``keep``: then delete all but the newest ``keep`` snapshots (:func:`prune`)."""
    if keep is not None and keep < 1:
        raise UsageError(f"keep={keep}: at least the newest snapshot must be kept (1 or more).")
    dumps = folder(settings)
    dumps.mkdir(parents=True, exist_ok=True)
    with _locked(dumps):
        manifest = read_manifest(dumps)
        upto = settled_watermark(store, now=now)
        previous = max((s["sequence"]["last"] for s in manifest["snapshots"]), default=None)
        if previous is not None and previous >= upto:
            return None
        created = _now()
        tag = f"{upto:06d}"
        sources = licences(store, 1, upto)
        files = [
            _file(dumps, f"snapshot-{tag}.nq.gz", "nquads", 1, upto,
                  lambda c: nquads_chunks(store, feeds_between(store, 1, upto), c), sources),
            _file(dumps, f"snapshot-{tag}.jsonl.gz", "jsonld-lines", 1, upto,
                  lambda c: jsonld_lines(store, feeds_between(store, 1, upto), c),
                  sources),
            _file(dumps, f"snapshot-{tag}.csv.gz", "csv", 1, upto,
                  lambda c: current_values_csv(store, upto, c), sources),
        ]
        snapshot = {"id": f"snapshot-{tag}", "kind": "snapshot", "created": created,
                    "sequence": {"first": 1, "last": upto}, "files": files}
        manifest["snapshots"].append(snapshot)
        if previous and upto > previous:
            first = previous + 1
            span = f"{first:06d}-{tag}"
            delta_sources = licences(store, first, upto)
            manifest["deltas"].append({
                "id": f"delta-{span}", "kind": "delta", "created": created,
                "sequence": {"first": first, "last": upto},
                "files": [
                    _file(dumps, f"delta-{span}.nq.gz", "nquads", first, upto,
                          lambda c: nquads_chunks(store, feeds_between(store, first, upto), c),
                          delta_sources),
                    _file(dumps, f"delta-{span}.jsonl.gz", "jsonld-lines", first, upto,
                          lambda c: jsonld_lines(store, feeds_between(store, first, upto), c),
                          delta_sources),
                ]})
        manifest["updated"] = created
        doomed = prune(manifest, keep) if keep else []
        _write_manifest(dumps, manifest)
        for name in doomed:  # unlisted first, then deleted: no reader is sent to a gone file
            (dumps / name).unlink(missing_ok=True)
        return snapshot


def prune(manifest: dict[str, Any], keep: int) -> list[str]:
    """Drop all but the newest ``keep`` snapshots from ``manifest``; the names of their files.

    Deltas stay (they are small, and a mirror positioned before the oldest kept snapshot
    catches up through them)."""
    ordered = sorted(manifest["snapshots"], key=lambda s: s["sequence"]["last"])
    gone, manifest["snapshots"] = ordered[:-keep], ordered[-keep:]
    return [item["name"] for entry in gone for item in entry["files"]]


def dump_file(settings: Settings, name: str) -> Path:
    """The path of a file the manifest lists (:class:`NotFound` for any other name, so no
    request reaches a partial file, the lock or anything outside the folder)."""
    dumps = folder(settings)
    listed = {f["name"] for entry in _entries(read_manifest(dumps)) for f in entry["files"]}
    if name not in listed or not (dumps / name).is_file():
        raise NotFound(f"No dump file {name!r}; the files are listed at /dumps/index.json.")
    return dumps / name


def _entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [*manifest.get("snapshots", []), *manifest.get("deltas", [])]


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``6h``, ``1d`` → seconds (:class:`UsageError` otherwise)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    raw = text.strip().lower()
    number, unit = (raw[:-1], raw[-1]) if raw[-1:] in units else (raw, "s")
    if not number or not number.isascii() or not number.isdigit() or int(number) == 0:
        raise UsageError(f"{text!r} is not a duration; give e.g. 90s, 15m, 6h or 1d.")
    return float(int(number) * units[unit])


def snapshot_timer(get_store: Callable[[], Store], settings: Settings, every: float,
                   log: Callable[[str], None], keep: int | None = None) -> Callable[[], None]:
    """Start a daemon thread making a snapshot every ``every`` seconds; returns its stop
    function. A failed snapshot is logged and tried again at the next tick (a store that is
    briefly unavailable must not stop the schedule)."""
    import threading

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                made = make_snapshot(get_store(), settings, keep=keep)
                log(f"snapshot: {made['id'] if made else 'nothing new'}")
            except Exception as error:  # noqa: BLE001 - logged, retried next tick
                log(f"snapshot failed: {type(error).__name__}: {error}")

    threading.Thread(target=loop, name="alm-ld-snapshots", daemon=True).start()
    return stop.set


__all__ = ["FORMATS", "MANIFEST", "dump_file", "folder", "make_snapshot", "parse_duration",
           "prune", "read_manifest", "settled_watermark", "snapshot_timer"]


def newest_dump_urls(settings: Settings) -> list[str]:
    """URLs of the newest snapshot's N-Quads file (what VoID's ``void:dataDump`` names)."""
    snapshots = read_manifest(folder(settings)).get("snapshots", [])
    if not snapshots:
        return []
    newest = max(snapshots, key=lambda s: s["sequence"]["last"])
    return [f"{settings.base_url}/dumps/{item['name']}" for item in newest["files"]
            if item["format"] == "nquads"]
