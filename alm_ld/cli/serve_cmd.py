"""``alm-ld serve [--host H] [--port P] [--store SPEC] [--workers N] [--threads T] [--demo]
[--server waitress|dev] [--base-url URL]``.

Production serving is waitress (:mod:`alm_ld.web.production`): one I/O thread reads every
request whole — headers and body — before a worker thread runs the app, and buffers responses,
so slow or idle clients cost no thread (docs/security.md, "Connections and slow clients").
The thread pool is at least ``ALM_LD_SSE_MAX + 8`` whatever ``--threads`` says, so change-stream
listeners can never take every thread. ``--server dev`` runs werkzeug's threaded development
server instead (for comparisons and debugging; not for exposure: it gives each connection a
thread).

An embedded store (``oxigraph:PATH`` or ``memory:``) lives inside one process: Oxigraph opens its
directory read-write for one process only, and ``memory:`` would give every worker its own,
diverging copy. So with ``--workers 1`` ONE process serves the embedded store with several
threads. With ``--store sparql:…`` (e.g. ``oxigraph serve``), ``--workers N`` forks N serving
processes after binding the port; they share the one listening socket. With ``--store
oxigraph:PATH --workers N`` (N > 1) this command first starts and supervises a local ``oxigraph
serve`` over PATH (:mod:`alm_ld.store.local_server`) and serves it as a ``sparql:`` store: one
command, several processes, the same folder (docs/deploy.md). ``memory:`` and the in-memory
``oxigraph:`` still refuse ``--workers > 1``.

Before serving, a ``sparql:`` store is checked (:mod:`alm_ld.store.health`): its default graph
must be the union of its named graphs and, when this service writes (an update URL, or
``ALM_LD_TOKENS``), a probe written through the update URL must be readable through the query URL.
A store that fails is refused in one line with exit 5 (misconfigured); one that does not answer
(down, stalled) gets a warning line and the service starts anyway (503 until it is back).

``--demo`` first ingests the packaged demo feeds (in a spawned child for ``oxigraph:``, see
:func:`in_child`); feeds already present are left unchanged, so running it again is harmless.
Exit codes: 0 stopped normally, 2 usage error (e.g. ``--workers 2`` with ``memory:``, no
``oxigraph`` server binary), 4 store unavailable (an embedded store locked by another process,
a local Oxigraph server that does not start), 5 store misconfigured.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from alm_ld.cli.options import add_store_option
from alm_ld.config import Settings
from alm_ld.errors import EXIT_OK, AlmLdError, QueryTimeout, StoreUnavailable, UsageError

if TYPE_CHECKING:
    from alm_ld.store.base import Store
    from alm_ld.store.spec import StoreSpec

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the web API (works, SPARQL, feeds, validation)",
        description="Serve the alm-ld web API. With an embedded store (oxigraph:, memory:) one "
        "worker process with several threads serves; --workers N > 1 with oxigraph:PATH serves "
        "it through a local Oxigraph server that this command starts and stops; a sparql: store "
        "is checked (union default graph, writes) before serving.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (8080)")
    add_store_option(parser)
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (1; >1 with oxigraph:PATH starts a local "
                        "Oxigraph server over PATH; not with memory:)")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads per worker (8; at least ALM_LD_SSE_MAX + 8 are started)")
    parser.add_argument("--demo", action="store_true",
                        help="ingest the packaged demo feeds first (idempotent)")
    parser.add_argument("--snapshot-every", metavar="DURATION", default=None,
                        help="write a /dumps snapshot at this interval (e.g. 6h, 1d); --demo "
                        "also writes one at start")
    parser.add_argument("--snapshot-keep", metavar="N", type=int, default=None,
                        help="with --snapshot-every: keep only the newest N snapshots")
    parser.add_argument("--server", choices=("waitress", "dev"), default="waitress",
                        help="waitress (default) or werkzeug's development server")
    parser.add_argument("--base-url", default=None,
                        help="public base URL (default ALM_LD_BASE_URL, else http://HOST:PORT)")
    parser.set_defaults(func=run)


def settings_for(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env(store=args.store)
    if args.base_url:
        return settings.with_(base_url=args.base_url.rstrip("/"))
    if settings.base_url == Settings.base_url:  # not configured: the address we listen on
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        return settings.with_(base_url=f"http://{host}:{args.port}")
    return settings


def store_spec(settings: Settings) -> StoreSpec:
    """The store spec read by the one parser (a bad one: ConfigError, exit 2); imported here so
    that ``alm-ld --help`` and the other commands do not load the store package."""
    from alm_ld.store.spec import StoreSpec

    return StoreSpec.parse(settings.store)


def check_workers(spec: StoreSpec, workers: int) -> None:
    if workers < 1:
        raise UsageError("--workers must be at least 1.")
    if workers > 1 and spec.in_process:
        raise UsageError(
            f"--workers {workers} cannot share the in-memory store {spec.text!r}: every worker "
            "would hold its own copy. Use --workers 1 with --threads N, an on-disk store "
            "(--store oxigraph:PATH, served through a local Oxigraph server), or "
            "--store sparql:QUERY_URL[;UPDATE_URL].")


def uses_local_server(spec: StoreSpec, workers: int) -> bool:
    """``oxigraph:PATH`` with several workers: served through a local ``oxigraph serve``."""
    return workers > 1 and spec.on_disk


def check_remote_store(settings: Settings) -> bool:
    """Refuse a ``sparql:`` store that answers but is wrong for alm-ld (exit 5), before any
    worker starts or the demo is written: write a probe, read it back, check the default graph
    is the union (:func:`alm_ld.store.health.check_store`); then load the vocabulary.

    A store that does not answer (down, stalled) is *not* a reason to refuse: it may be
    starting or restarting, and the service recovers by itself when it is back (every request
    opens its own connection). One warning line is printed and the service starts; ``/healthz``
    and every route that needs the store answer 503 until then. Only what waiting cannot fix
    stops the start-up.

    Returns True when the vocabulary graph was loaded here: the serving processes then open the
    store without loading it, so a store emptied later stays visibly empty (``/healthz``:
    ``dataset-missing``) instead of being quietly re-seeded by a worker's first request."""
    if not store_spec(settings).remote:
        return False
    from alm_ld.store import open_store
    from alm_ld.store.health import check_store

    store = open_store(settings.store, load_vocabulary=False, settings=settings)
    try:
        writes = bool(settings.tokens) or not getattr(store, "read_only", False)
        check_store(store, writes=writes, probe=True, timeout=settings.query_timeout)
        open_store(settings.store, settings=settings).close()  # the vocabulary graph
        return True
    except (StoreUnavailable, QueryTimeout) as error:
        sys.stderr.write(f"alm-ld: warning: {error.title}: {error.detail} Serving anyway; "
                         "/healthz answers 503 until the store answers (then it is checked "
                         "again on every /healthz).\n")
        return False
    finally:
        store.close()


def ingest_demo(settings: Settings, store: Store | None = None) -> list[dict[str, object]]:
    """Ingest every packaged demo feed; already-ingested feeds come back 'unchanged'."""
    from alm_ld.pipeline import ingest_feed
    from alm_ld.resources import demo_dir
    from alm_ld.store import open_store

    files = sorted(demo_dir().glob("*.json"))
    results: list[dict[str, object]] = []
    with contextlib.ExitStack() as stack:
        if store is None:
            store = stack.enter_context(open_store(settings.store))
        for path in files:
            doc = json.loads(path.read_text(encoding="utf-8"))
            try:
                result = ingest_feed(store, doc, settings=settings)
            except (AlmLdError, SyntaxError, ValueError) as error:
                # One bad demo feed must not keep the service from starting; say which.
                detail = getattr(error, "detail", None) or str(error)
                results.append({"file": path.name, "status": "skipped", "detail": detail})
                continue
            results.append({"file": path.name, **result.to_dict()})
    return results


def in_child(function: Callable[[Settings], T], settings: Settings) -> T:
    """Run ``function(settings)`` in a fresh (spawned) process and return its result.

    An on-disk Oxigraph store opened and written here would leave RocksDB background threads
    and locks in the serving process before it serves (and, with a fork, in a state a child
    inherits undefined: its first write then hung for ever under gunicorn). Touching the store
    from a separate process keeps the serving process free of it until the app opens the store
    lazily, in the process that serves."""
    import multiprocessing  # here, not at the top: every command imports this module (~12 ms)

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, (settings,))


def probe_store(settings: Settings) -> None:
    """Open and close the store once, so a locked or unreadable one fails at start-up."""
    from alm_ld.store import open_store

    open_store(settings.store).close()


def ingest_demo_in_child(settings: Settings) -> list[dict[str, object]]:
    return in_child(ingest_demo, settings)


def prepare_demo(settings: Settings) -> Store | None:
    """Ingest the demo feeds the way the store allows; return a store the app must reuse.

    ``memory:`` lives in this process only, so the app is handed the very store that holds the
    demo; ``oxigraph:`` is filled from a child process (see
    :func:`ingest_demo_in_child`); ``sparql:`` is a remote server and safe to write from here."""
    scheme = store_spec(settings).scheme
    store = None
    if scheme == "oxigraph":
        lines = ingest_demo_in_child(settings)
    elif scheme == "memory":
        from alm_ld.store import open_store

        store = open_store(settings.store)
        lines = ingest_demo(settings, store)
    else:
        lines = ingest_demo(settings)
    for line in lines:
        sys.stderr.write(f"demo: {json.dumps(line)}\n")
    snapshot_demo(settings, store)
    return store


def _snapshot(settings: Settings, store: Store | None = None) -> str:
    from alm_ld.exchange.snapshots import make_snapshot
    from alm_ld.store import open_store

    if store is not None:
        made = make_snapshot(store, settings)
    else:
        with open_store(settings.store, settings=settings) as opened:
            made = make_snapshot(opened, settings)
    return made["id"] if made else "up to date"


def snapshot_demo(settings: Settings, store: Store | None) -> None:
    """A snapshot right after the demo feeds (issue 17: /dumps is never empty on a fresh
    install); an embedded ``oxigraph:`` folder is read from a child, as the demo is written."""
    from alm_ld.exchange.snapshots import dumps_folder

    if store is None and store_spec(settings).scheme == "oxigraph":
        made = in_child(_snapshot, settings)
    else:
        made = _snapshot(settings, store)
    sys.stderr.write(f"demo: snapshot {made} in {dumps_folder(settings)}\n")


def with_snapshots(app: T, settings: Settings, args: argparse.Namespace) -> T:
    """``--snapshot-every``: a timer thread snapshotting the store the app serves."""
    if args.snapshot_every:
        from alm_ld.exchange.snapshots import parse_duration, snapshot_timer

        snapshot_timer(app.extensions["alm_ld"].get_store, settings,  # type: ignore[attr-defined]
                       parse_duration(args.snapshot_every),
                       lambda line: sys.stderr.write(f"alm-ld: {line}\n"),
                       keep=args.snapshot_keep)
    return app


def with_works_index(app: T, args: argparse.Namespace) -> T:
    """Catch the works index up in a daemon thread now, not in the first ``GET /works`` (a
    rebuild reads every feed: minutes at 100k works); the server answers at once, and /works
    answers 503 ``index-building`` until it is done. One serving process only: forked workers
    (``--workers N``) must not inherit a thread or an open store, so the first request of
    any of them catches the index file they share (``ALM_LD_WORKS_INDEX``) up
    (docs/deploy.md)."""
    if args.workers > 1:
        return app

    def start() -> None:
        from alm_ld.analytics.works_index import build_in_background

        try:
            store = app.extensions["alm_ld"].get_store()  # type: ignore[attr-defined]
            build_in_background(store, lambda line: sys.stderr.write(f"alm-ld: {line}\n"))
        except Exception as error:  # noqa: BLE001 - the first request tries again
            sys.stderr.write(f"alm-ld: works index not started: {type(error).__name__}: "
                             f"{error}\n")

    threading.Thread(target=start, name="alm-ld-works-index-start", daemon=True).start()
    return app


def run(args: argparse.Namespace) -> int:
    from alm_ld.exchange.snapshots import dumps_folder

    settings = settings_for(args)
    # The dumps folder is fixed while the spec still names the embedded store (it becomes a
    # sparql: spec when a local Oxigraph server takes the folder over).
    settings = settings.with_(dumps_dir=dumps_folder(settings))
    if args.snapshot_every:
        from alm_ld.exchange.snapshots import parse_duration

        parse_duration(args.snapshot_every)  # a bad duration is a usage error before start-up
    if args.snapshot_keep is not None and args.snapshot_keep < 1:
        raise UsageError("--snapshot-keep must be 1 or more (the newest snapshot stays).")
    if args.threads < 1:
        raise UsageError("--threads must be at least 1.")
    spec = store_spec(settings)
    check_workers(spec, args.workers)
    local = None
    if uses_local_server(spec, args.workers):
        if args.server == "dev":
            raise UsageError("--server dev runs one process; use --workers 1 with it.")
        from alm_ld.store.local_server import LocalOxigraphServer

        # Demo or not, the folder is opened (vocabulary loaded, lock checked) by a child first;
        # the server opens it only afterwards.
        local = LocalOxigraphServer(spec.path, query_timeout=settings.query_timeout,
                                    avoid_port=args.port)
        if args.demo:
            prepare_demo(settings)
        else:
            in_child(probe_store, settings)
    try:
        if local is not None:
            local.start()
            from alm_ld.analytics.works_index import index_beside

            # the workers share the folder's works index file (one build, not one per worker)
            embedded, settings = settings.store, settings.with_(
                store=local.spec, works_index=settings.works_index or index_beside(spec.path))
            sys.stderr.write(f"alm-ld: {embedded} is served by a local Oxigraph {local.version} "
                             f"server at {local.base_url}; while it runs, other commands reach "
                             f"the data with --store '{local.spec}'\n")
        code = _serve(args, settings, local)
    finally:
        if local is not None:
            local.stop()
    if local is not None and local.failure:
        raise StoreUnavailable(local.failure)  # exit 4, one line, after everything stopped
    return code


def _serve(args: argparse.Namespace, settings: Settings, local: object | None) -> int:
    # misconfigured: exit 5 before any worker or demo write
    vocabulary_loaded = check_remote_store(settings)
    if args.demo and local is None:
        store = prepare_demo(settings)
    else:
        store = None
        if store_spec(settings).scheme == "oxigraph":
            in_child(probe_store, settings)  # locked or unreadable store: exit 4 now
    from alm_ld.web import create_app
    from alm_ld.web.production import Limits

    limits = Limits.from_settings(settings, args.threads)
    threads = args.threads if args.server == "dev" else limits.threads
    sys.stderr.write(f"alm-ld: serving {settings.base_url} (store {settings.store}, "
                     f"{args.server}, {args.workers} worker(s) x {threads} threads)\n")
    if args.server == "dev":
        from alm_ld.web.server import run_dev_server

        run_dev_server(with_works_index(with_snapshots(create_app(
            settings, store, load_vocabulary=not vocabulary_loaded), settings, args), args),
                       host=args.host, port=args.port)
        return EXIT_OK
    from alm_ld.web.production import serve

    # The app opens its store (and anything else, e.g. a query-process pool) lazily, i.e. in
    # the process that serves, after any fork.
    failure = serve(with_works_index(with_snapshots(create_app(
        settings, store, load_vocabulary=not vocabulary_loaded), settings, args), args),
                    host=args.host, port=args.port, limits=limits,
                    workers=args.workers, watch=getattr(local, "watch", None))
    if failure:
        raise AlmLdError(failure)  # exit 4, one line: an outer supervisor may restart us
    return EXIT_OK
