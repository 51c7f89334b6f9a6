"""Related works for the work page, each with the reason it is related.

The analytics layer (``alm_ld.analytics``) owns the definition of "related"; the page shows what
it returns. Until that module is installed, the page falls back to the two relations the model
states directly: works that cite this one or are cited by it (``cito:cites``), and works cited
together with it by the same citing work.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from alm_ld.store.base import Store
from alm_ld.web.pages.queries import PREFIXES, iri_ref, select_rows


@dataclass(frozen=True)
class Related:
    work: str
    reason: str
    score: float | None = None


PREFIX_CITO = PREFIXES + "PREFIX cito: <http://purl.org/spar/cito/>\n"


def _from_analytics(store: Store, work_iri: str, limit: int) -> list[Related] | None:
    try:
        module = importlib.import_module("alm_ld.analytics")
    except ModuleNotFoundError:
        return None
    finder = getattr(module, "related_works", None)
    if finder is None:
        return None
    found: list[Related] = []
    for item in finder(store, work_iri, limit=limit):
        data: dict[str, Any] = item if isinstance(item, dict) else (
            item.to_dict() if hasattr(item, "to_dict") else vars(item))
        work = data.get("work") or data.get("id") or data.get("iri")
        if not work:
            continue
        reason = data.get("reason") or data.get("why") or "related"
        if isinstance(reason, list | tuple):
            reason = "; ".join(str(r) for r in reason)
        score = data.get("score")
        found.append(Related(str(work), str(reason),
                             float(score) if isinstance(score, int | float) else None))
    return found


def related_works(store: Store, work_iri: str, *, limit: int = 10,
                  timeout: float | None = None) -> list[Related]:
    from_analytics = _from_analytics(store, work_iri, limit)
    if from_analytics is not None:
        return from_analytics[:limit]
    work = iri_ref(work_iri)
    found: dict[str, Related] = {}
    for row in select_rows(store, PREFIX_CITO + f"""SELECT ?other ?dir WHERE {{
        {{ {work} cito:cites ?other BIND("cites" AS ?dir) }}
        UNION {{ ?other cito:cites {work} BIND("cited-by" AS ?dir) }} }} LIMIT {int(limit)}""",
                       timeout):
        reason = "this work cites it" if row["dir"] == "cites" else "it cites this work"
        found.setdefault(row["other"], Related(row["other"], reason))
    for row in select_rows(store, PREFIX_CITO + f"""SELECT ?other (COUNT(DISTINCT ?citing) AS ?n)
        WHERE {{ ?citing cito:cites {work} , ?other . FILTER (?other != {work}) }}
        GROUP BY ?other ORDER BY DESC(?n) LIMIT {int(limit)}""", timeout):
        n = int(row["n"])
        found.setdefault(row["other"], Related(
            row["other"], f"cited together with this work by {n} work{'s' if n != 1 else ''}",
            float(n)))
    return list(found.values())[:limit]
