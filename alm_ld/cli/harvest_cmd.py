"""``alm-ld harvest``: fetch metrics from providers and write (or ingest) one feed per provider.

Examples::

    alm-ld harvest crossref --ids 10.1371/journal.pone.0033693 --output crossref.json
    alm-ld harvest crossref openalex --ids works.txt --output feeds/ --state .harvest-state
    alm-ld harvest europepmc --ids pmid:17183658 --ingest --store oxigraph:./var/store

Exit codes: 0 every work harvested or skipped as unknown to the provider; 3 some works failed
upstream (the feeds still hold the others); 2 usage errors (unknown provider, bad identifier,
missing file). A per-provider summary is printed on stderr; a progress bar only on a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from alm_ld.config import Settings
from alm_ld.errors import EXIT_OK, EXIT_PARTIAL, UsageError
from alm_ld.harvest.registry import PROVIDERS, provider_class
from alm_ld.harvest.run import ProviderReport, RunState, harvest_provider, parse_ids
from alm_ld.identifiers import WorkId


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "harvest", help="harvest metrics from providers into feeds",
        description="Harvest article-level metrics from providers; one feed per provider.",
        epilog="Providers: " + ", ".join(sorted(PROVIDERS)) + ". Exit codes: 0 ok, "
               "2 usage error, 3 some works failed upstream.")
    parser.add_argument("providers", nargs="+", metavar="PROVIDER")
    parser.add_argument("--ids", nargs="+", required=True, metavar="FILE|ID",
                        help="work identifiers, or files with one identifier per line")
    parser.add_argument("--output", "-o", metavar="FILE|DIR",
                        help="feed file (one provider) or directory (<provider>.json each); "
                             "default: standard output for one provider")
    parser.add_argument("--ingest", action="store_true", help="ingest each feed into the store")
    parser.add_argument("--store", metavar="SPEC", help="store for --ingest (default "
                        "ALM_LD_STORE)")
    parser.add_argument("--state", metavar="DIR",
                        help="state directory making the run resumable (works finished in the "
                             "last 24 h are not fetched again) and holding the HTTP cache")
    parser.add_argument("--max-pages", type=int, default=20, metavar="N",
                        help="at most N pages of events per work (default 20)")
    parser.set_defaults(func=run)


def _read_ids(values: list[str]) -> list[WorkId]:
    raw: list[str] = []
    for value in values:
        path = Path(value)
        if path.is_file():
            raw.extend(path.read_text(encoding="utf-8").splitlines())
        elif value.startswith(("./", "/")) or value.endswith(".txt"):
            raise UsageError(f"--ids: file {value!r} does not exist.")
        else:
            raw.append(value)
    works = parse_ids(raw)
    if not works:
        raise UsageError("--ids gave no work identifiers.")
    return works


def _targets(providers: list[str], output: str | None, ingest: bool) -> dict[str, Path | None]:
    if output is None:
        if len(providers) > 1 and not ingest:
            raise UsageError("Several providers need --output DIR (one feed file each) or "
                             "--ingest.")
        return dict.fromkeys(providers)
    out = Path(output)
    if len(providers) > 1 or out.is_dir() or output.endswith(os.sep):
        out.mkdir(parents=True, exist_ok=True)
        return {name: out / f"{name}.json" for name in providers}
    return {providers[0]: out}


def _write(feed: dict[str, Any], path: Path | None) -> None:
    text = json.dumps(feed, indent=2, ensure_ascii=False) + "\n"
    if path is None:
        sys.stdout.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _progress(total: int, name: str) -> Any:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="work", file=sys.stderr, leave=False)


def run(args: argparse.Namespace) -> int:
    providers = list(dict.fromkeys(provider_class(p).name for p in args.providers))
    if args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1.")
    works = _read_ids(args.ids)
    targets = _targets(providers, args.output, args.ingest)
    settings = Settings.from_env(store=args.store)
    state = RunState(Path(args.state)) if args.state else None
    store = None
    if args.ingest:
        from alm_ld.store import open_store

        store = open_store(settings.store)
    reports: list[ProviderReport] = []
    try:
        for name in providers:
            bar = _progress(len(works), name)
            feed, report = harvest_provider(
                name, works, settings, state=state, max_pages=args.max_pages,
                on_work=(lambda _work, bar=bar: bar.update(1)) if bar else None)
            if bar:
                bar.close()
            reports.append(report)
            if args.output is not None or not args.ingest:
                _write(feed, targets[name])
            if store is not None:
                from alm_ld.pipeline import ingest_feed

                result = ingest_feed(store, feed, settings=settings)
                sys.stderr.write(f"{name}: ingested feed {result.feed_id} ({result.status})\n")
                # analytics: the last run's outcome feeds the HarvestFailed alert and the
                # failure rate on /sources (a clean run clears the alert).
                from alm_ld.analytics import record_harvest

                record_harvest(store, feed["provider"]["id"], failed=len(report.failed),
                               attempted=report.done + len(report.failed),
                               detail="; ".join(r for _, r in report.failed[:3]),
                               feed=result.feed_id)
    finally:
        if store is not None and hasattr(store, "close"):
            store.close()
    for report in reports:
        sys.stderr.write("\n".join(report.lines()) + "\n")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_PARTIAL
