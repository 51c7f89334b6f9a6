"""``POST /works/batch`` that follows ``owl:sameAs`` (issue 16).

A client often holds another identifier of a work than the one the service keys it by — the
PMID of a DOI-keyed article, an arXiv id of a preprint later published. Feeds say so with
``sameAs`` (stored as ``<work> owl:sameAs <alias>``, the same triple the work page follows with
a 303). :func:`batch_works_following_same_as` answers such an alias with the work it is an
alias of, instead of "not found", and says so: the entry's ``id`` is the work answered and
``sameAs`` is the (normalised) id that was asked. An id that is both stored itself and an alias
answers as itself. Ids that are neither stay 404 in place; invalid ids stay 400.

The lookup is one extra query for all the unknown ids together (``VALUES``), then one
:func:`~alm_ld.analytics.works_list.batch_works` call for the works found.
"""

from __future__ import annotations

from typing import Any

from alm_ld.analytics.works_list import batch_works
from alm_ld.sparql_text import prefixes, values
from alm_ld.store.base import Store

_PREFIXES = prefixes("owl")


def aliases_of(store: Store, iris: list[str], *,
               timeout: float | None = None) -> dict[str, str]:
    """alias IRI → the work it is ``owl:sameAs`` of (the smallest IRI when several)."""
    if not iris:
        return {}
    query = _PREFIXES + f"""SELECT ?alias (MIN(STR(?work)) AS ?canonical) WHERE {{
  {values("alias", sorted(set(iris)))}
  ?work owl:sameAs ?alias . FILTER (?work != ?alias)
}} GROUP BY ?alias"""
    return {str(row["alias"]): str(row["canonical"])
            for row in store.query(query, timeout=timeout).rows if row.get("canonical")}


def batch_works_following_same_as(store: Store, ids: object, *,
                                  timeout: float | None = None) -> dict[str, Any]:
    """:func:`~alm_ld.analytics.works_list.batch_works`, then every 404 whose id is an
    ``owl:sameAs`` alias of a stored work answered with that work (see the module docstring)."""
    answer = batch_works(store, ids, timeout=timeout)
    results = answer["results"]
    unknown = [r["id"] for r in results if r.get("error", {}).get("status") == 404]
    canonical = aliases_of(store, unknown, timeout=timeout)
    if not canonical:
        return answer
    targets = sorted(set(canonical.values()))
    found = {r["id"]: r for r in batch_works(store, targets, timeout=timeout)["results"]
             if "error" not in r}
    for index, entry in enumerate(results):
        work = canonical.get(entry.get("id", "")) if "error" in entry else None
        if work is None or work not in found:
            continue
        resolved = {key: value for key, value in found[work].items() if key != "input"}
        results[index] = {"input": entry["input"], **resolved, "sameAs": entry["id"]}
        answer["meta"]["found"] += 1
    return answer


__all__ = ["aliases_of", "batch_works_following_same_as"]
