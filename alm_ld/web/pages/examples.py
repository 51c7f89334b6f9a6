"""Example SPARQL queries offered by the editor, and the prepared query linked from a work page.

They are written against docs/MODEL.md, so they double as documentation of the model: a reader
who runs them learns where the numbers, the sources and the provenance sit.
"""

from __future__ import annotations

from dataclasses import dataclass

from alm_ld.sparql_text import iri, literal, prefixes

# The examples carry their own PREFIX lines (a reader copies them whole), made from the one
# table of namespaces.
PREFIXES = prefixes("alm", "almm", "prov", "cito", "dcterms", "skos", "rdfs", "schema", "almid")

# Any work serves as the placeholder of the per-work examples until the page knows a real one.
DEFAULT_WORK = "https://doi.org/10.1371/journal.pone.0000001"
# The institution and the journal of the set examples: ones the demo describes (an author of
# PeerJ 4375 is affiliated with 00cvxb145; PLOS ONE has three described works).
DEFAULT_ROR = "https://ror.org/00cvxb145"
DEFAULT_ISSN = "1932-6203"


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    query: str


def work_series_query(work_iri: str) -> str:
    """Every stored count of one work over time, with source and provenance (one row a point)."""
    return PREFIXES + f"""
# Time series of every metric of one work, one row per stored observation.
SELECT ?metric ?source ?periodEnd ?value ?aggregation ?feed ?evidence WHERE {{
  GRAPH ?feed {{
    ?obs alm:work {iri(work_iri)} ;
         alm:metric ?metric ;
         alm:value ?value ;
         alm:periodEnd ?periodEnd ;
         alm:aggregation ?aggregation .
    OPTIONAL {{ ?obs alm:source ?source }}
    OPTIONAL {{ ?obs prov:wasDerivedFrom ?evidence }}
  }}
}}
ORDER BY ?metric ?source ?periodEnd
"""


TOP_CITED = PREFIXES + """
# Works with the most citations, read from the current-value view (docs/store.md): per work and
# metric it keeps the highest current value among sources (sources overlap: never summed), kept
# up to date at ingest, so this is a lookup instead of a scan of every stored revision.
SELECT ?work (MAX(?value) AS ?citations) WHERE {
  GRAPH almid:current {
    ?total alm:forWork ?work ; alm:forMetric ?metric ; alm:highestValue ?value .
  }
  ?metric skos:broader* almm:citations .
}
GROUP BY ?work
ORDER BY DESC(?citations)
LIMIT 20
"""

CITATIONS_PER_SOURCE = PREFIXES + """
# Current citations per source (one value per work and source, as the source reports it now),
# and how many works each source covers: the current-value view, no deduplication needed.
SELECT ?source (SUM(?value) AS ?citations) (COUNT(?entry) AS ?works) WHERE {
  GRAPH almid:current {
    ?entry alm:forMetric almm:citations ; alm:forAggregation alm:cumulative ;
           alm:forSource ?source ; alm:currentValue ?value .
  }
}
GROUP BY ?source
ORDER BY DESC(?citations)
"""

CO_CITED = PREFIXES + """
# Pairs of works cited together by the same citing work, most co-cited first.
SELECT ?a ?b (COUNT(DISTINCT ?citing) AS ?together) WHERE {
  ?citing cito:cites ?a , ?b .
  FILTER (STR(?a) < STR(?b))
}
GROUP BY ?a ?b
ORDER BY DESC(?together)
LIMIT 20
"""

ALERTS = PREFIXES + """
# Data-quality alerts (counts that went down, implausible jumps, disagreeing or stale sources).
SELECT ?detected ?type ?work ?metric ?source ?value ?previousValue ?message WHERE {
  ?alert a alm:Alert ;
         alm:alertType ?type ;
         prov:generatedAtTime ?detected ;
         rdfs:comment ?message .
  OPTIONAL { ?alert alm:work ?work }
  OPTIONAL { ?alert alm:metric ?metric }
  OPTIONAL { ?alert alm:source ?source }
  OPTIONAL { ?alert alm:value ?value }
  OPTIONAL { ?alert alm:previousValue ?previousValue }
}
ORDER BY DESC(?detected)
LIMIT 50
"""

SOURCES = PREFIXES + """
# Observations and works per source.
SELECT ?source (COUNT(DISTINCT ?obs) AS ?observations) (COUNT(DISTINCT ?work) AS ?works) WHERE {
  ?obs a alm:Observation ; alm:source ?source ; alm:work ?work .
}
GROUP BY ?source
ORDER BY DESC(?observations)
"""


def institution_works_query(ror: str = DEFAULT_ROR) -> str:
    """Works with an author affiliated with the institution, most cited first."""
    return PREFIXES + f"""
# Our institution's works by citations: works whose description names an author affiliated
# with the institution (put your ROR id in VALUES), with the highest current citation count
# among sources (the GET /works rule, never a sum), from the current-value view.
SELECT ?work (SAMPLE(?t) AS ?title) (MAX(?value) AS ?citations) WHERE {{
  VALUES ?institution {{ {iri(ror)} }}
  ?work schema:author/schema:affiliation ?institution .
  OPTIONAL {{ ?work dcterms:title ?t }}
  GRAPH almid:current {{
    ?total alm:forWork ?work ; alm:forMetric ?metric ; alm:highestValue ?value .
  }}
  ?metric skos:broader* almm:citations .
}}
GROUP BY ?work
ORDER BY DESC(?citations)
LIMIT 100
"""


def journal_views_query(issn: str = DEFAULT_ISSN) -> str:
    """Views of a journal's works per year."""
    return PREFIXES + f"""
# A journal's yearly views: for each year, the views its works had gathered by the end of that
# year (per work the highest cumulative count any source reported during the year — sources
# are not added up), summed over the journal's works (put the ISSN in VALUES).
SELECT ?year (SUM(?views) AS ?totalViews) (COUNT(?work) AS ?works) WHERE {{
  {{ SELECT ?work ?year (MAX(?value) AS ?views) WHERE {{
      VALUES ?issn {{ {literal(issn)} }}
      ?work schema:isPartOf/schema:issn ?issn .
      ?obs alm:work ?work ;
           alm:metric ?metric ;
           alm:aggregation alm:cumulative ;
           alm:periodEnd ?end ;
           alm:value ?value .
      ?metric skos:broader* almm:views .
      BIND (SUBSTR(STR(?end), 1, 4) AS ?year)
    }} GROUP BY ?work ?year }}
}}
GROUP BY ?year
ORDER BY ?year
"""


def examples(work_iri: str = DEFAULT_WORK, *, ror: str = DEFAULT_ROR,
             issn: str = DEFAULT_ISSN) -> list[Example]:
    """The editor's example queries; the per-work one uses ``work_iri``, the set ones ``ror``
    and ``issn``."""
    return [
        Example("top-cited", "Top cited works", TOP_CITED),
        Example("citations-per-source", "Current citations per source", CITATIONS_PER_SOURCE),
        Example("institution-works", "Our institution's works by citations",
                institution_works_query(ror)),
        Example("journal-views", "A journal's yearly views", journal_views_query(issn)),
        Example("work-series", "A work's time series", work_series_query(work_iri)),
        Example("co-cited", "Co-cited works", CO_CITED),
        Example("alerts", "Data-quality alerts", ALERTS),
        Example("sources", "Observations per source", SOURCES),
    ]
