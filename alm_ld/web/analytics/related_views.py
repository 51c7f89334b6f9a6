"""``GET /works/<id>/related``: co-cited and co-mentioned works with score and evidence."""

from __future__ import annotations

from flask import Response

from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.related import related_report
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import int_param, json_response, known_work, request_url
from alm_ld.web.state import settings, store

SCORE_DOC = ("Jaccard index |S(a) ∩ S(b)| / |S(a) ∪ S(b)| over the subjects (citing works and "
             "mentioning pages) of the two works")


@blueprint.get("/works/<path:identifier>/related")
def work_related(identifier: str) -> Response:
    work = known_work(identifier)
    limit = int_param("limit", 10, 1, 100)
    subjects, related = related_report(store(), work, limit=limit,
                                       timeout=settings().query_timeout)
    doc = {
        "@context": analytics_context(settings().base_url),
        "id": request_url(),
        "work": work,
        "subjectCount": subjects,
        "scoring": SCORE_DOC,
        "related": [r.to_dict() for r in related],
    }
    return json_response(doc)
