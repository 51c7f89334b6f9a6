"""``alm-ld harvest``: fetch metrics from providers and write (or ingest) one feed per provider.

Examples::

    alm-ld harvest crossref --ids 10.1371/journal.pone.0033693 --output crossref.json
    alm-ld harvest crossref openalex --ids works.txt --output feeds/ --state .harvest-state
    alm-ld harvest europepmc --ids pmid:17183658 --ingest --store oxigraph:./var/store
    alm-ld harvest crossref-events --since 2023-01-01 --until 2023-01-02 --event-source wikipedia

Exit codes: 0 every work (or the window) harvested or skipped as unknown to the provider; 3 some
works failed upstream (the feeds still hold the others; in window mode, the pages read before the
failure); 2 usage errors (unknown provider, bad identifier or date, missing file, a window for a
provider without window mode). A per-provider summary is printed on stderr; a progress bar only
on a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alm_ld.cli.options import add_store_option
from alm_ld.config import Settings
from alm_ld.errors import EXIT_OK, EXIT_PARTIAL, UsageError

if TYPE_CHECKING:  # the harvesters import requests and rdflib: only when harvesting
    from alm_ld.harvest.providers.crossref_events import EventWindow
    from alm_ld.harvest.run import ProviderReport
    from alm_ld.identifiers import WorkId


def _epilog() -> str:
    """The help's last paragraph, built only when help is shown (the provider registry
    imports every harvester; see ``_Parser.format_help`` in :mod:`alm_ld.cli`)."""
    from alm_ld.harvest.providers.crossref_events import DEFAULT_ROWS
    from alm_ld.harvest.registry import PROVIDERS

    return (f"Providers: {', '.join(sorted(PROVIDERS))}. Window mode reads {DEFAULT_ROWS} "
            "events per page unless --page-size says otherwise. Exit codes: 0 ok, 2 usage "
            "error, 3 some works failed upstream.")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "harvest", help="harvest metrics from providers into feeds",
        description="Harvest article-level metrics from providers; one feed per provider.",
        epilog=_epilog)
    parser.add_argument("providers", nargs="+", metavar="PROVIDER")
    parser.add_argument("--ids", nargs="+", metavar="FILE|ID",
                        help="work identifiers, or files with one identifier per line "
                             "(required unless --since is given)")
    parser.add_argument("--output", "-o", metavar="FILE|DIR",
                        help="feed file (one provider) or directory (<provider>.json each); "
                             "default: standard output for one provider")
    parser.add_argument("--ingest", action="store_true", help="ingest each feed into the store")
    add_store_option(parser, help="store for --ingest (default ALM_LD_STORE)")
    parser.add_argument("--state", metavar="DIR",
                        help="state directory making the run resumable (works finished in the "
                             "last 24 h are not fetched again) and holding the HTTP cache")
    parser.add_argument("--max-pages", type=int, default=20, metavar="N",
                        help="at most N pages of events per work (default 20)")
    window = parser.add_argument_group(
        "window mode (crossref-events)",
        "Harvest every event collected in a date window instead of looking works up one by one; "
        "with --ids, keep only the events naming those works.")
    window.add_argument("--since", metavar="YYYY-MM-DD", help="first collection day")
    window.add_argument("--until", metavar="YYYY-MM-DD",
                        help="last collection day, inclusive (default: today, UTC)")
    window.add_argument("--event-source", metavar="ID",
                        help="only events from this Event Data source (crossref, datacite, "
                             "wikipedia, reddit, twitter, …)")
    window.add_argument("--scholix", action="store_true",
                        help="only DOI-to-DOI links (Event Data scholix=true)")
    window.add_argument("--page-size", type=int, default=None, metavar="N",
                        help="events per page (at most 10000; the default is named below)")
    parser.set_defaults(func=run)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD).", value=value) from None


def _window(args: argparse.Namespace) -> EventWindow | None:
    """The date window asked for, or None; window options without --since are a usage error."""
    if args.since is None:
        extra = [name for name, given in (("--until", args.until is not None),
                                          ("--event-source", args.event_source is not None),
                                          ("--scholix", args.scholix),
                                          ("--page-size", args.page_size is not None))
                 if given]
        if extra:
            raise UsageError(f"{', '.join(extra)} only apply with --since (window mode).")
        return None
    from alm_ld.harvest.providers.crossref_events import DEFAULT_ROWS, EventWindow

    since = _day(args.since, "--since")
    until = _day(args.until, "--until") if args.until else datetime.now(UTC).date()
    return EventWindow(since, until, source=args.event_source, scholix=args.scholix,
                       rows=DEFAULT_ROWS if args.page_size is None else args.page_size)


def _read_ids(values: list[str]) -> list[WorkId]:
    from alm_ld.harvest.run import parse_ids

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
    from alm_ld.harvest.registry import provider_class
    from alm_ld.harvest.run import RunState, harvest_provider, harvest_window

    providers = list(dict.fromkeys(provider_class(p).name for p in args.providers))
    if args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1.")
    window = _window(args)
    if window is not None:
        plain = [name for name in providers if not hasattr(provider_class(name), "harvest_window")]
        if plain:
            raise UsageError(f"--since/--until: {', '.join(plain)} cannot harvest by date window; "
                             "harvest it with --ids alone (window mode: crossref-events).")
    elif not args.ids:
        raise UsageError("Give --ids (work identifiers) or --since (a date window).")
    works = _read_ids(args.ids) if args.ids else []
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
            if window is not None:
                feed, report = harvest_window(name, window, settings, works=works or None,
                                              state=state, max_pages=args.max_pages)
            else:
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
