"""Aggregate SPARQL on the alm-ld store (Oxigraph on disk) vs rdflib Memory with the same data.

The rdflib side is alm-ld's own ``memory:`` backend (an rdflib Memory ``Dataset`` with the union
default graph) loaded from alm-ld's dump, so both run the very same query strings. Related works
(:func:`alm_ld.analytics.related.related_works`: co-citation and co-mention, two queries plus
one per 500 candidates) runs on both stores too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.datagen import work
from benchmarks.report import Report, Row
from benchmarks.timing import repeat_timed, summary

PREFIXES = """PREFIX alm: <https://w3id.org/alm-ld/vocab#>
PREFIX almm: <https://w3id.org/alm-ld/metrics/>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

SUM_PER_SOURCE = PREFIXES + """SELECT ?source (SUM(?v) AS ?total) (COUNT(?o) AS ?n) WHERE {
  ?o a alm:Observation ; alm:source ?source ; alm:value ?v .
} GROUP BY ?source ORDER BY ?source"""

TOP10_CITED = PREFIXES + """SELECT ?work (MAX(?v) AS ?citations) WHERE {
  ?o alm:metric almm:citations ; alm:work ?work ; alm:value ?v .
} GROUP BY ?work ORDER BY DESC(?citations) ?work LIMIT 10"""


def co_citation(target: str) -> str:
    return PREFIXES + f"""SELECT ?other (COUNT(DISTINCT ?s) AS ?shared) WHERE {{
  ?s cito:cites <{target}> .
  ?s cito:cites ?other .
  FILTER(?other != <{target}>)
}} GROUP BY ?other ORDER BY DESC(?shared) ?other LIMIT 10"""


def probe_work(works: int) -> str:
    """A hub: a popular work (the generator skews citations towards low numbers)."""
    return work(min(works - 1, 3))


def typical_work(works: int) -> str:
    """A work in the long tail (a handful of citing works and mentions)."""
    return work(works // 2 + 1)


def timed(fn: Any, repeat: int, budget_s: float = 20.0) -> dict[str, float]:
    """Warm once; if that alone took longer than ``budget_s``, report it as the only run."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > budget_s:
        return {"min": first, "median": first, "n": 1}
    return summary(repeat_timed(fn, repeat))


def queries(works: int) -> list[tuple[str, str]]:
    return [("aggregate: sum of values per source", SUM_PER_SOURCE),
            ("aggregate: top-10 cited works", TOP10_CITED),
            ("co-citation of one work (one SPARQL query)", co_citation(probe_work(works)))]


def _run_query(store: Any, sparql: str) -> int:
    return len(store.query(sparql).rows)


def _related(store: Any, target: str) -> int:
    from alm_ld.analytics.related import related_works

    return len(related_works(store, target))


# The same questions as the current-value view answers, asked in plain SPARQL over the union
# graph: each series' current value (latest periodEnd, ties: newest feed) must be found first —
# here in one GROUP BY pass (the value rides along in a MAX over "end seq value" strings),
# the cheapest plain form found (a FILTER NOT EXISTS per row took minutes at 10k works).
_CURRENT = """
  { SELECT ?work ?metric ?source
           (MAX(CONCAT(STR(?end), " ", STR(10000000000 + ?seq), " ", STR(?v))) AS ?best)
    WHERE { GRAPH ?g { ?o alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
                          alm:aggregation alm:cumulative ; alm:value ?v ; alm:periodEnd ?end .
                       ?g alm:sequence ?seq } }
    GROUP BY ?work ?metric ?source }
  BIND (xsd:integer(STRAFTER(STRAFTER(?best, " "), " ")) AS ?cur)"""

UNION_CURRENT = {
    "sum": PREFIXES + "SELECT ?source ?metric (SUM(?cur) AS ?total) (COUNT(?work) AS ?works) "
                      "WHERE {" + _CURRENT + "\n} GROUP BY ?source ?metric",
    "top10": PREFIXES + "SELECT ?work (MAX(?cur) AS ?citations) WHERE {" + _CURRENT
                        + "\n  FILTER (?metric = almm:citations)\n} GROUP BY ?work "
                          "ORDER BY DESC(?citations) ?work LIMIT 10",
    "metric": PREFIXES + "SELECT ?metric (SUM(?high) AS ?total) WHERE { { "
                         "SELECT ?work ?metric (MAX(?cur) AS ?high) WHERE {" + _CURRENT
                         + "\n} GROUP BY ?work ?metric } } GROUP BY ?metric",
}
VIEW_LABELS = {
    "sum": "aggregate (works index): sum of current values per source and metric",
    "top10": "aggregate (works index): top-10 cited works (current values)",
    "metric": "aggregate (works index): per-metric totals (highest source per work)",
}


def _bare(store: Any, sparql: str) -> int:
    """Run on the underlying pyoxigraph Store with the union default graph (bare Oxigraph)."""
    return sum(1 for _ in store._ox.query(sparql, use_default_graph_as_union=True))


def run_view(report: Report, works: int, store_spec: str, repeat: int) -> None:
    """The aggregates read from the works index (its ordered ``top`` table and in-memory
    columns, folded feed by feed) vs the same questions in plain SPARQL over the union graph
    on the same (bare) Oxigraph store."""
    from alm_ld.analytics import aggregates as agg
    from alm_ld.analytics import current_view as cv
    from alm_ld.analytics.works_index import works_index
    from alm_ld.store import open_store

    size = f"{works} works"
    citations = "https://w3id.org/alm-ld/metrics/citations"
    with open_store(store_spec, load_vocabulary=False) as store:
        start = time.perf_counter()
        cv.refresh_current_view(store)  # a writer step: readers no longer catch the view up
        built = time.perf_counter() - start
        start = time.perf_counter()
        works_index(store)  # caught up (rebuilt whole when the store has none yet)
        indexed = time.perf_counter() - start
        start = time.perf_counter()
        agg.source_totals(store)  # the process's columns read whole, once
        first_totals = time.perf_counter() - start
        ours = {"sum": timed(lambda: agg.source_totals(store), repeat),
                "top10": timed(lambda: agg.top_works(store, citations, 10), repeat),
                "metric": timed(lambda: agg.metric_totals(store), repeat)}
        base_repeat = max(1, repeat // 2)
        theirs = {name: timed(lambda q=query: _bare(store, q), base_repeat, budget_s=60.0)
                  for name, query in UNION_CURRENT.items()}
    for name, label in VIEW_LABELS.items():
        note = (f"view caught up on open in {built:.2f} s (0 when ingest kept it); works "
                f"index caught up in {indexed:.2f} s (whole when new), its columns read in "
                f"{first_totals:.2f} s" if name == "sum" else "")
        report.add(Row("aggregates", label, size, ours[name]["min"], ours[name]["median"],
                       runs=ours[name]["n"], baseline="plain SPARQL over the union graph, "
                       "bare Oxigraph (same store)", baseline_min=theirs[name]["min"],
                       baseline_median=theirs[name]["median"], target="≥ 10× at 100k works",
                       note=note))


def run(report: Report, works: int, store_spec: str, dump: Path | None, repeat: int,
        baseline: bool, baseline_reason: str = "") -> None:
    """Time each query on ``store_spec`` and (if ``baseline``) on rdflib Memory from ``dump``."""
    from alm_ld.store import open_store

    size = f"{works} works"
    ours: dict[str, dict[str, float]] = {}
    run_view(report, works, store_spec, repeat)
    with open_store(store_spec, load_vocabulary=False) as store:
        for name, sparql in queries(works):
            ours[name] = timed(lambda s=sparql: _run_query(store, s), repeat)
        ours["related"] = timed(lambda: _related(store, probe_work(works)), repeat)
        ours["related-typical"] = timed(lambda: _related(store, typical_work(works)), repeat)
    theirs: dict[str, dict[str, float]] = {}
    load_note = ""
    if baseline and dump is not None:
        from alm_ld.store.memory import MemoryStore

        memory = MemoryStore()
        start = time.perf_counter()
        with dump.open("rb") as data:
            memory.load_dump(data, "nquads")
        load_note = f"rdflib Memory load of the dump: {time.perf_counter() - start:.1f} s"
        base_repeat = max(1, repeat // 2)
        for name, sparql in queries(works):
            theirs[name] = timed(lambda s=sparql: _run_query(memory, s), base_repeat)
        theirs["related"] = timed(lambda: _related(memory, probe_work(works)), base_repeat)
        theirs["related-typical"] = timed(lambda: _related(memory, typical_work(works)),
                                          base_repeat)
        del memory
    labels = {"related": "related works of a hub work (analytics.related_works)",
              "related-typical": "related works of a typical work (analytics.related_works)"}
    names = [n for n, _ in queries(works)] + list(labels)
    for name in names:
        label = labels.get(name, name)
        mine, base = ours[name], theirs.get(name)
        target = "≥ 20× at 100k works" if name.startswith("aggregate") else \
            "well under 1 s at 100k events" if name.startswith("related") else None
        if base:
            report.add(Row("aggregates", label, size, mine["min"], mine["median"],
                           runs=mine["n"], baseline="rdflib Memory", baseline_min=base["min"],
                           baseline_median=base["median"], target=target,
                           note=f"baseline runs: {base['n']}; {load_note}"))
        else:
            report.add(Row("aggregates", label, size, mine["min"], mine["median"],
                           runs=mine["n"], target=target,
                           note=f"rdflib Memory baseline skipped: {baseline_reason}"
                           if baseline_reason else ""))
