"""Analytics endpoints: ``/works/<id>/metrics``, ``/works/<id>/related``, ``/changes``,
``/changes/stream``, ``/alerts``, ``/sources`` (docs/analytics.md) and ``/works`` (sets of
works, docs/api.md).

One blueprint; each area's views live in their own module and only glue
:mod:`alm_ld.analytics` to HTTP.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("analytics", __name__)

from alm_ld.web.analytics import (  # noqa: E402,F401  (views register on the blueprint)
    alerts_views,
    changes_views,
    niso_views,
    related_views,
    series_views,
    sets_views,
    sources_views,
    works_views,
)

__all__ = ["blueprint"]
