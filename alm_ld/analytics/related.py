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
from alm_ld.vocab import RELATIONS_NS

CITES = RELATIONS_NS + "cites"
MAX_EVIDENCE = 20

_SUBJECTS = """
  {{ ?s cito:cites {work} . BIND(almr:cites AS ?rel) }}
  UNION
  {{ ?e alm:object {work} ; alm:subject ?s ; alm:relation ?rel . FILTER(?rel != almr:cites) }}
"""


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


def related_works(store: Any, work: str, *, limit: int = 10,
                  timeout: float | None = None) -> list[Related]:
    """The top ``limit`` related works of ``work`` (see the module docstring)."""
    return related_report(store, work, limit=limit, timeout=timeout)[1]


def related_report(store: Any, work: str, *, limit: int = 10,
                   timeout: float | None = None) -> tuple[int, list[Related]]:
    """``(|S(work)|, top ``limit`` related works)`` — see the module docstring."""
    target = iri(work)
    rows = select(store, f"""
SELECT DISTINCT ?other ?s ?rel ?rel2 WHERE {{
  {_SUBJECTS.format(work=target)}
  {{ ?s cito:cites ?other . BIND(almr:cites AS ?rel2) }}
  UNION
  {{ ?e2 alm:subject ?s ; alm:object ?other ; alm:relation ?rel2 .
     FILTER(?rel2 != almr:cites) }}
  FILTER(?other != {target})
}}""", timeout=timeout)
    own = select(store, f"""
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_SUBJECTS.format(work=target)} }}""",
                 timeout=timeout)
    own_size = int(own[0]["n"]) if own else 0
    shared: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        relations = shared.setdefault(row["other"], {}).setdefault(row["s"], set())
        relations.add(row["rel"])
        relations.add(row["rel2"])
    if not shared:
        return own_size, []
    sizes = _subject_counts(store, sorted(shared), timeout)
    ranked = []
    for other, subjects in shared.items():
        cited = sum(1 for rels in subjects.values() if CITES in rels)
        mentioned = sum(1 for rels in subjects.values() if rels - {CITES})
        score = round(jaccard(len(subjects), own_size, sizes.get(other, len(subjects))), 6)
        evidence = [{"subject": s, "relation": sorted(short(r, RELATIONS_NS) for r in rels)}
                    for s, rels in sorted(subjects.items())[:MAX_EVIDENCE]]
        ranked.append(Related(other, score, len(subjects), cited, mentioned, evidence))
    ranked.sort(key=lambda r: (-r.score, -r.shared, r.work))
    return own_size, ranked[:limit]


def _subject_counts(store: Any, works: list[str], timeout: float | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(0, len(works), 500):
        chunk = works[start:start + 500]
        rows = select(store, f"""
SELECT ?w (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  {values_clause("w", chunk)}
  {{ ?s cito:cites ?w }}
  UNION
  {{ ?e alm:object ?w ; alm:subject ?s ; alm:relation ?rel . FILTER(?rel != almr:cites) }}
}} GROUP BY ?w""", timeout=timeout)
        counts.update({row["w"]: int(row["n"]) for row in rows})
    return counts
