"""Serve alm-ld for the HTTP benchmarks, in a child process the harness starts and stops.

    python -m benchmarks.serve_app --store oxigraph:DIR --server waitress|flask --port PORT

``waitress`` is the production setup of ``alm-ld serve`` (:func:`alm_ld.web.production.serve`:
one process, its I/O thread plus a pool of ``max(--threads, ALM_LD_SSE_MAX + 8)`` threads
sharing the one embedded store); ``flask`` is werkzeug's threaded dev server.
Access logs go wherever the harness sends stdout/stderr (it discards them).
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--server", choices=("waitress", "flask"), default="waitress")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()

    from alm_ld.config import Settings
    from alm_ld.store import open_store
    from alm_ld.web import create_app

    base_url = f"http://127.0.0.1:{options.port}"
    settings = Settings(store=options.store, base_url=base_url)
    app = create_app(settings, open_store(options.store))
    # as `alm-ld serve` does: the works index catches up in the background from start-up, so
    # a benchmark never times a first GET /works that waits for it
    from alm_ld.cli.serve_cmd import with_works_index

    app = with_works_index(app, argparse.Namespace(workers=1))
    if options.server == "waitress":
        from alm_ld.web.production import Limits, serve

        serve(app, host="127.0.0.1", port=options.port,
              limits=Limits.from_settings(settings, options.threads))
    else:
        app.run(host="127.0.0.1", port=options.port, threaded=True, debug=False,
                use_reloader=False)


if __name__ == "__main__":
    main()
