"""The web service: a Flask app factory with one blueprint per area.

``create_app(settings, store)`` builds a fresh application; nothing is configured at import time,
so every test builds its own app with its own store. Each area lives in its own module exposing a
``blueprint``, imported and registered here by name, as Flask's tutorial does: a misspelt or
missing area is an ImportError at start-up, never an API area silently left out.
"""

from __future__ import annotations

from flask import Flask

from alm_ld.config import Settings
from alm_ld.store.base import Store
from alm_ld.web import analytics, compat, discovery, dumps, feeds, pages, shapes, sparql, works
from alm_ld.web.assets import register_assets
from alm_ld.web.body_limit import register_body_limit
from alm_ld.web.compression import register_compression
from alm_ld.web.cors import register_cors
from alm_ld.web.fast_path import install_fast_paths
from alm_ld.web.problems import register_error_handlers
from alm_ld.web.security_headers import register_security_headers
from alm_ld.web.state import AppState

# The API areas, registered in this order (earlier areas win a shared URL rule).
BLUEPRINTS = (discovery.blueprint, works.blueprint, sparql.blueprint, feeds.blueprint,
              shapes.blueprint, analytics.blueprint, pages.blueprint,
              dumps.blueprint, compat.blueprint)


def create_app(settings: Settings | None = None, store: Store | None = None, *,
               load_vocabulary: bool = True) -> Flask:
    """A new Flask app serving ``store`` (opened from ``settings.store`` when not given).

    ``load_vocabulary=False``: the caller already loaded the vocabulary graph (``serve`` does,
    at start-up, for a remote store), so the app opens the store without writing it."""
    settings = settings or Settings()
    app = Flask("alm_ld.web")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    register_body_limit(app, settings.max_body)  # chunked bodies too: 413, never cut
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["alm_ld"] = AppState(settings=settings, store=store,
                                        load_vocabulary=load_vocabulary)
    register_error_handlers(app)
    register_cors(app)
    register_security_headers(app)
    register_compression(app)
    register_assets(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    install_fast_paths(app)  # GET /sparql?query= and GET /works/{id} without Flask (issue 15)
    return app


__all__ = ["BLUEPRINTS", "create_app"]
