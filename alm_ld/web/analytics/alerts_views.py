"""``GET /alerts``: stored data-quality alerts, filtered by work, source and type."""

from __future__ import annotations

from flask import Response, request

from alm_ld.analytics.alerts import ALERT_TYPES, query_alerts
from alm_ld.analytics.contexts import analytics_context
from alm_ld.errors import UsageError
from alm_ld.identifiers import parse_work_id
from alm_ld.vocab import SOURCES_NS
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import concept, int_param, json_response, request_url
from alm_ld.web.state import settings, store


@blueprint.get("/alerts")
def alerts() -> Response:
    args = request.args
    alert_type = args.get("type") or None
    if alert_type is not None and alert_type not in ALERT_TYPES:
        raise UsageError(f"type={alert_type!r} is not an alert type; use one of "
                         f"{', '.join(ALERT_TYPES)}.")
    work = parse_work_id(args["work"]).iri if args.get("work") else None
    source = concept(args.get("source"), SOURCES_NS, "source")
    limit = int_param("limit", 1000, 1, 10000)
    found = query_alerts(store(), work=work, source=source, alert_type=alert_type, limit=limit)
    doc = {
        "@context": analytics_context(settings().base_url),
        "id": request_url(),
        "alertTypes": list(ALERT_TYPES),
        "alerts": [a.to_json() for a in found],
    }
    return json_response(doc)
