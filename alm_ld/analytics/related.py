"""Related works: collaborative filtering over who cites and who mentions what.

For a work *w* let S(w) be its **subjects**: the works that cite it (``cito:cites``) and the
things that reference it through any other event relation (a Wikipedia page, a blog post, a
discussion, a reader's library). Two works are

* **co-cited** when one citing work cites both, and
* **co-mentioned** when one non-citation subject references both.

The score of a candidate *v* for *w* is the **Jaccard index** |S(w) ∩ S(v)| / |S(w) ∪ S(v)|
(1.0: exactly the same subjects; shared subjects of a work that is referenced everywhere count
for less). Ties are broken by the number of shared subjects, then by IRI, so the ranking is
deterministic. Each recommendation carries the shared subjects as evidence, with the relation(s)
each has to the two works. Everything is computed with two plain SPARQL queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alm_ld.analytics.sparql import iri, select, short, values_clause
from alm_ld.store.base import Store
from alm_ld.vocab import RELATIONS_NS

CITES = RELATIONS_NS + "cites"
MAX_EVIDENCE = 20



def _subjects(work: str, n: str = "", *, from_subject: bool = False) -> str:
    """Pattern binding ?s to each subject of ``work``.

    Written for Oxigraph's planner, which keeps the written order inside a group: the bound
    variable comes first (``from_subject`` when ?s is already bound, else the work), and no
    BIND inside the UNION (it blocks reordering). Measured on 20k events: 16 s → 0.05 s."""
    first, second = ("alm:subject ?s", f"alm:object {work}") if from_subject else (
        f"alm:object {work}", "alm:subject ?s")
    return f"""
  {{ ?s cito:cites {work} }}
  UNION
  {{ ?e{n} {first} ; {second} ; alm:relation ?rel{n} .
     FILTER(?rel{n} != almr:cites) }}"""


@dataclass
class Related:
    work: str
    score: float
    shared: int
    co_citations: int
    co_mentions: int
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reason(self) -> str:
        parts = []
        if self.co_citations:
            parts.append(f"co-cited by {self.co_citations} work"
                         f"{'s' if self.co_citations != 1 else ''}")
        if self.co_mentions:
            parts.append(f"co-mentioned by {self.co_mentions} subject"
                         f"{'s' if self.co_mentions != 1 else ''}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"work": self.work, "score": self.score, "reason": self.reason,
                "coCitations": self.co_citations, "coMentions": self.co_mentions,
                "shared": self.evidence}


def jaccard(shared: int, size_a: int, size_b: int) -> float:
    union = size_a + size_b - shared
    return shared / union if union else 0.0


def related_works(store: Store, work: str, *, limit: int = 10,
                  timeout: float | None = None) -> list[Related]:
    """The top ``limit`` related works of ``work`` (see the module docstring)."""
    return related_report(store, work, limit=limit, timeout=timeout)[1]


def related_report(store: Store, work: str, *, limit: int = 10,
                   timeout: float | None = None) -> tuple[int, list[Related]]:
    """``(|S(work)|, top ``limit`` related works)`` — see the module docstring.

    Three steps keep a hub work (thousands of subjects) interactive: (1) one aggregate query
    counts the shared subjects per candidate; (2) candidates are visited by decreasing shared
    count and their own subject counts fetched in batches, stopping once the bound
    J <= shared / |S(work)| says no later candidate can enter the top ``limit``; (3) the
    evidence is fetched for the winners only.
    """
    target = iri(work)
    own = select(store, f"""
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_subjects(target)} }}""",
                 timeout=timeout)
    own_size = int(own[0]["n"]) if own else 0
    if not own_size:
        return 0, []
    rows = select(store, f"""
SELECT ?other (COUNT(DISTINCT ?s) AS ?shared) WHERE {{
  {_subjects(target)}
  {_subjects("?other", "2", from_subject=True)}
  FILTER(?other != {target})
}} GROUP BY ?other""", timeout=timeout)
    candidates = sorted(((int(r["shared"]), r["other"]) for r in rows),
                        key=lambda pair: (-pair[0], pair[1]))
    scored: list[tuple[float, int, str]] = []
    for start in range(0, len(candidates), _BATCH):
        batch = candidates[start:start + _BATCH]
        if len(scored) >= limit and batch[0][0] / own_size < _kth(scored, limit):
            break
        sizes = _subject_counts(store, [other for _, other in batch], timeout)
        for shared, other in batch:
            score = round(jaccard(shared, own_size, sizes.get(other, shared)), 6)
            scored.append((score, shared, other))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    top = scored[:limit]
    evidence = _evidence(store, target, [other for _, _, other in top], timeout)
    ranked = []
    for score, shared, other in top:
        subjects = dict(sorted(evidence.get(other, {}).items()))
        cited = sum(1 for rels in subjects.values() if CITES in rels)
        mentioned = sum(1 for rels in subjects.values() if rels - {CITES})
        shown = [{"subject": s, "relation": sorted(short(r, RELATIONS_NS) for r in rels)}
                 for s, rels in list(subjects.items())[:MAX_EVIDENCE]]
        ranked.append(Related(other, score, shared, cited, mentioned, shown))
    return own_size, ranked


_BATCH = 200


def _kth(scored: list[tuple[float, int, str]], k: int) -> float:
    return sorted((t[0] for t in scored), reverse=True)[k - 1]


def _relations_of(store: Store, work: str, timeout: float | None) -> dict[str, set[str]]:
    """subject → relations to ``work``; ``cito:cites`` without an event counts as ``cites``."""
    rows = select(store, f"""
SELECT DISTINCT ?s ?rel WHERE {{
  {{ ?s cito:cites {work} }} UNION {{ ?e alm:object {work} ; alm:subject ?s ; alm:relation ?rel }}
}}""", timeout=timeout)
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["s"], set()).add(row.get("rel") or CITES)
    return found


def _evidence(store: Store, target: str, others: list[str],
              timeout: float | None) -> dict[str, dict[str, set[str]]]:
    """related work → shared subject → relations (to either work).

    Plain lookups per work joined in Python: joining two UNIONs (or a VALUES list) in one
    query makes Oxigraph loop (seconds on a hub work), while each lookup is an index scan."""
    if not others:
        return {}
    mine = _relations_of(store, target, timeout)
    found = {}
    for other in others:
        theirs = _relations_of(store, iri(other), timeout)
        found[other] = {s: mine[s] | theirs[s] for s in set(mine) & set(theirs)}
    return found


def _subject_counts(store: Store, works: list[str], timeout: float | None) -> dict[str, int]:
    rows = select(store, f"""
SELECT ?w (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  {values_clause("w", works)}
  {_subjects("?w")}
}} GROUP BY ?w""", timeout=timeout)
    return {row["w"]: int(row["n"]) for row in rows}
