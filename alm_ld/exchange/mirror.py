"""``alm-ld mirror``: make a store hold exactly the dataset of another alm-ld.

Steps, each aligned on feed sequences (see :mod:`alm_ld.exchange`):

1. read ``/dumps/index.json``; if the local store holds no feed yet, download the newest
   snapshot's N-Quads (resuming an interrupted download), check its size and sha256 against
   the manifest — a mismatch refuses the file and loads nothing — and load it;
2. load the deltas that continue from the local position (``first == local + 1``), checked the
   same way, preferring the one reaching furthest;
3. the live tail: ``/dumps/live?after=N`` streams the feeds after ``N`` up to the change feed's
   watermark (a page of feeds at a time, sequence range in ``Alm-Sequence-*`` headers); loaded
   until a page comes back empty;
4. read ``/changes`` from the cursor after the last feed loaded: it must be empty (the mirror has
   caught up). If a feed was ingested meanwhile, step 3 runs again. The cursor is returned so
   a caller continues following ``/changes`` from exactly there;
5. bring the current-value view (``almid:current``, derived from the feeds) up to date.

The files carry the feed graphs and their alert graphs; the current-value view is derived data
that every alm-ld rebuilds from the feeds, so it is not copied.

Why the tail and not the items of ``/changes``: a change activity carries an observation or an
event, not the feed graph around it (ingest activity, provider, disclosure, counts, alerts),
and a feed that only repeats known values lists no change at all; the tail carries whole feed
graphs by sequence, the same unit as the files.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alm_ld.analytics.changes import END, Cursor, max_sequence
from alm_ld.analytics.current_view import refresh_current_view
from alm_ld.config import Settings
from alm_ld.errors import InvalidDump, UsageError
from alm_ld.harvest.http import FileClient
from alm_ld.store.base import Store

TAIL_PAGE = 200
"""Feeds per live-tail request."""


@dataclass
class MirrorReport:
    start: int
    sequence: int
    snapshot: str | None = None
    deltas: list[str] = field(default_factory=list)
    tail_feeds: int = 0
    resumed_bytes: int = 0
    changes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.start, "sequence": self.sequence, "snapshot": self.snapshot,
                "deltas": self.deltas, "tailFeeds": self.tail_feeds,
                "resumedBytes": self.resumed_bytes, "changes": self.changes}


def _nquads_file(entry: dict[str, Any]) -> dict[str, Any]:
    for item in entry.get("files", []):
        if item.get("format") == "nquads":
            return item
    raise InvalidDump(f"The manifest entry {entry.get('id')!r} lists no N-Quads file.")


def plan(manifest: dict[str, Any], local: int) -> list[dict[str, Any]]:
    """The snapshot (only into an empty store) and the chain of deltas to load after ``local``."""
    steps: list[dict[str, Any]] = []
    position = local
    if local == 0:
        snapshots = [s for s in manifest.get("snapshots", []) if s["sequence"]["last"] > 0]
        if snapshots:
            newest = max(snapshots, key=lambda s: s["sequence"]["last"])
            steps.append(newest)
            position = newest["sequence"]["last"]
    deltas = manifest.get("deltas", [])
    while True:
        following = [d for d in deltas if d["sequence"]["first"] == position + 1]
        if not following:
            return steps
        chosen = max(following, key=lambda d: d["sequence"]["last"])
        steps.append(chosen)
        position = chosen["sequence"]["last"]


def fetch_checked(client: FileClient, url: str, item: dict[str, Any], work: Path
                  ) -> tuple[Path, int]:
    """Download one manifest file and check it; (path, bytes the download resumed from)."""
    got = client.download(url, work / item["name"])
    if got.sha256 != item["sha256"] or got.size != item["size"]:
        got.path.unlink(missing_ok=True)
        raise InvalidDump(
            f"{item['name']} failed its check: sha256 {got.sha256} ({got.size} bytes) but the "
            f"manifest says {item['sha256']} ({item['size']} bytes). The file was deleted and "
            "nothing of it was loaded; run the mirror again (it downloads the file afresh).")
    return got.path, got.resumed_from


def mirror(base_url: str, store: Store, settings: Settings, *,
           work_dir: Path | None = None) -> MirrorReport:
    """Bring ``store`` to the dataset served at ``base_url`` (module docstring)."""
    base = base_url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"{base_url!r} is not an http(s) URL of an alm-ld service.")
    client = FileClient(settings)
    local = max_sequence(store)
    report = MirrorReport(start=local, sequence=local)
    try:
        with tempfile.TemporaryDirectory(prefix="alm-ld-mirror-",
                                         dir=str(work_dir) if work_dir else None) as tmp:
            manifest, _ = client.get_json(f"{base}/dumps/index.json")
            if not isinstance(manifest, dict) or not isinstance(manifest.get("snapshots"), list):
                raise InvalidDump(f"{base}/dumps/index.json is not an alm-ld dumps manifest.")
            if local > int(manifest.get("watermark") or 0):
                raise UsageError(
                    f"The store holds feeds up to sequence {local} but {base} serves only up "
                    f"to {manifest.get('watermark') or 0}: it is not a mirror of that service. "
                    "Mirror into an empty store.")
            for entry in plan(manifest, local):
                item = _nquads_file(entry)
                url = item.get("url") or f"{base}/dumps/{quote(item['name'])}"
                path, resumed = fetch_checked(client, url, item, Path(tmp))
                report.resumed_bytes += resumed
                with gzip.open(path, "rb") as data:
                    store.load_dump(data, "nquads")
                path.unlink()
                if entry.get("kind") == "snapshot":
                    report.snapshot = entry["id"]
                else:
                    report.deltas.append(entry["id"])
                report.sequence = entry["sequence"]["last"]
            while True:
                report.sequence = _tail(client, base, store, report, Path(tmp))
                page, _ = client.get_json(
                    f"{base}/changes?cursor={Cursor(report.sequence, END).encode()}&limit=1")
                report.changes = f"{base}/changes?cursor={Cursor(report.sequence, END).encode()}"
                if page.get("orderedItems"):
                    # Newer than the tail served: a feed ingested meanwhile, or one whose
                    # alerts are still being written (the tail waits for them); again.
                    time.sleep(0.2)
                    continue
                # Derived, not copied: the current-value view is rebuilt from the feeds now
                # rather than by the mirror's first reader.
                refresh_current_view(store)
                return report
    finally:
        client.close()


def _tail(client: FileClient, base: str, store: Store, report: MirrorReport,
          work: Path) -> int:
    """Load the live tail after ``report.sequence``; the new position."""
    position = report.sequence
    while True:
        url = f"{base}/dumps/live?after={position}&limit={TAIL_PAGE}"
        got = client.download(url, work / f"live-{position}.nq")
        headers_last = _last_of(got.path)
        if headers_last is None:
            got.path.unlink()
            return position
        with open(got.path, "rb") as data:
            store.load_dump(data, "nquads")
        got.path.unlink()
        report.tail_feeds += headers_last - position
        position = headers_last


def _last_of(path: Path) -> int | None:
    """The last sequence a live-tail file covers: its first line is the comment
    ``# alm-ld feeds FIRST..LAST`` (no comment: an empty tail)."""
    with open(path, "rb") as data:
        first = data.readline().decode("utf-8", errors="replace")
    if not first.startswith("# alm-ld feeds "):
        return None
    try:
        return int(first.rsplit("..", 1)[1])
    except (IndexError, ValueError):
        raise InvalidDump(f"The live tail answered an unexpected first line: {first[:80]!r}.")
