"""Feed → RDF, following docs/MODEL.md (pure: no IO, no clock, no randomness).

Everything that depends on the store — the feed's ``alm:sequence``, the ingest time and activity,
the content hash and the observations a new count revises — comes in as :class:`IngestContext`,
so the same inputs always give the same triples.

One generator (:func:`feed_statements`) decides *what* is said; two sinks decide *how* it is
written: :func:`map_feed_ntriples` builds N-Triples text directly (the fast path used by
ingest; it takes each Count's triples from :func:`count_statements`, as the generator does,
and only writes them faster); ``tests/support/rdf_mapping.py`` builds an rdflib Graph from
the same statements. A test proves the two give isomorphic graphs, and that the JSON-LD route
(``tests/support/mapping_jsonld.py``: pyld's RDF of the raw feed, post-processed to the model)
gives the same graph too — which also checks that the JSON-LD context and this module agree on
what every feed key means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from alm_ld.identifiers import (
    InvalidIdentifier,
    checked_iri,
    funder_iri,
    issn_iri,
    issn_value,
    normalise_iri,
    orcid_iri,
    ror_iri,
    work_iri,
)
from alm_ld.sparql_text import (
    CITO_NS,
    DCTERMS_NS,
    OWL_NS,
    PROV_NS,
    QB_NS,
    RDF_NS,
    SCHEMA_NS,
    XSD_NS,
    escape_string,
)
from alm_ld.vocab import ALM_NS, DISCLOSURE_KEYS, ID_NS, METRICS_NS, RELATIONS_NS, SOURCES_NS

RDF_TYPE = RDF_NS + "type"
XSD = XSD_NS
XSD_INTEGER, XSD_DATE, XSD_DATETIME = XSD + "integer", XSD + "date", XSD + "dateTime"
PROV = PROV_NS
QB_OBSERVATION = QB_NS + "Observation"
CITO_CITES = CITO_NS + "cites"
DCTERMS = DCTERMS_NS
OWL_SAMEAS = OWL_NS + "sameAs"
SCHEMA_NAME = SCHEMA_NS + "name"


def alm(term: str) -> str:
    return ALM_NS + term


# ---------------------------------------------------------------------------------------------
# Keys and IRIs


def canonical_json(doc: Any) -> bytes:
    """The byte form whose hash identifies a feed's content (key order and spacing ignored)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(doc: Any) -> str:
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def concept_iri(value: str, namespace: str) -> str:
    """A concept id (``citations``) in ``namespace``; an absolute IRI (anything with a scheme:
    concept ids hold no ':') stays as it is, and is checked where it is written."""
    return value if ":" in value else namespace + value


def subject_iri(value: str) -> str:
    """Event subjects: a work identifier is normalised so citations meet the cited work's node;
    anything else (a Wikipedia page over http, a tweet) stays as given."""
    try:
        return work_iri(value)
    except InvalidIdentifier:
        return value


def observation_key(work: str, metric: str, source: str, aggregation: str,
                    period_start: str | None, period_end: str) -> str:
    """The identity of a count without its value: ``work|metric|source|aggregation|start|end``
    (IRIs in full, ``aggregation`` as the feed word, a missing start as the empty string)."""
    return "|".join((work, metric, source, aggregation, period_start or "", period_end))


def observation_iri(key: str, value: int) -> str:
    """``almid:obs/<first 32 hex of sha256(key|value)>``: the same count is always one node."""
    digest = hashlib.sha256(f"{key}|{int(value)}".encode()).hexdigest()[:32]
    return f"{ID_NS}obs/{digest}"


def temporal_datatype(text: str) -> str:
    """xsd:gYear, xsd:gYearMonth, xsd:date or xsd:dateTime, by the shape the feed used."""
    return _TEMPORAL_BY_LENGTH.get(len(text), XSD_DATETIME)


_TEMPORAL_BY_LENGTH = {4: XSD + "gYear", 7: XSD + "gYearMonth", 10: XSD_DATE}


# ---------------------------------------------------------------------------------------------
# The statements


@dataclass(frozen=True)
class IngestContext:
    """What the store knows at ingest time (see the module docstring)."""

    sequence: int
    ingested_at: str
    content_hash: str
    ingest_iri: str
    previous: Mapping[str, str] = field(default_factory=dict)
    """observation key → IRI of the key's current observation before this feed."""


@dataclass
class MappedFeed:
    """The outcome of mapping: the triples plus the numbers ingest reports."""

    feed_iri: str
    items: int = 0
    observations: int = 0
    events: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    """observation key → observation IRI, for every count in the feed."""


# An object is either ("iri", value), ("bnode", label) or ("lit", lexical, datatype | None).
Obj = tuple[str, ...]
Statement = tuple[str, str, Obj]


def _iri(value: str) -> Obj:
    return ("iri", value)


def _lit(value: str, datatype: str | None = None) -> Obj:
    return ("lit", value, datatype) if datatype else ("lit", value)


def feed_iri(doc: Mapping[str, Any]) -> str:
    """The IRI a feed is stored under (its graph name and node): its ``id`` as
    :func:`safe_iri` writes it — the same text unless it held characters browsers escape."""
    return normalise_iri(doc["id"])


def feed_keys(doc: Mapping[str, Any]) -> dict[str, str]:
    """observation key → observation IRI for every ``Count`` of ``doc`` (needed before mapping
    to look up which stored observations the new counts revise)."""
    provider = normalise_iri(doc["provider"]["id"])
    keys: dict[str, str] = {}
    for item in doc.get("items", ()):
        if item.get("type") == "Count":
            key = _count_key(item, provider)
            keys[key] = observation_iri(key, item["value"])
    return keys


class FeedCount(NamedTuple):
    """One ``Count`` of a feed as it will be stored (IRIs in full, ``aggregation`` the feed
    word): what ingest derives the view, the alerts and the revisions from before writing."""

    key: str
    iri: str
    work: str
    metric: str
    source: str
    aggregation: str
    start: str | None
    end: str
    value: int


def feed_counts(doc: Mapping[str, Any]) -> list[FeedCount]:
    """Every ``Count`` of a valid ``doc``, in document order (the stored form of each)."""
    provider = normalise_iri(doc["provider"]["id"])
    counts = []
    for item in doc.get("items", ()):
        if item.get("type") == "Count":
            source = item.get("source")
            work = work_iri(item["work"])
            metric = normalise_iri(concept_iri(item["metric"], METRICS_NS))
            source = normalise_iri(concept_iri(source, SOURCES_NS) if source else provider)
            start, end = item.get("periodStart"), item["periodEnd"]
            key = observation_key(work, metric, source, item["aggregation"], start, end)
            value = int(item["value"])
            counts.append(FeedCount(key, observation_iri(key, value), work, metric, source,
                                    item["aggregation"], start or None, end, value))
    return counts


def _count_key(item: Mapping[str, Any], provider: str) -> str:
    source = item.get("source")
    return observation_key(
        work_iri(item["work"]), normalise_iri(concept_iri(item["metric"], METRICS_NS)),
        normalise_iri(concept_iri(source, SOURCES_NS) if source else provider),
        item["aggregation"], item.get("periodStart"), item["periodEnd"])


def feed_statements(doc: Mapping[str, Any], ctx: IngestContext,
                    summary: MappedFeed | None = None) -> Iterator[Statement]:
    """Every triple of the feed's named graph, in document order. ``doc`` must be valid.

    The feed and provider IRIs are used in their stored (normalised) form throughout, so keys,
    graph names and nodes agree (see :func:`feed_iri`)."""
    feed = feed_iri(doc)
    provider = normalise_iri(doc["provider"]["id"])
    generated = doc["generated"]
    summary = summary if summary is not None else MappedFeed(feed)
    works: set[str] = set()
    described: dict[str, int] = {}
    items = doc.get("items", ())
    observations = events = 0

    for item in items:
        kind = item.get("type")
        if kind == "Count":
            observations += 1
            key = _count_key(item, provider)
            obs = observation_iri(key, int(item["value"]))
            summary.keys[key] = obs
            work = work_iri(item["work"])
            works.add(work)
            for predicate, value in count_statements(item, obs, work, provider, generated,
                                                     ctx.ingest_iri, ctx.previous.get(key)):
                yield obs, predicate, value
        elif kind == "Event":
            events += 1
            yield from event_statements(item, provider, works)
        elif kind == "Work":
            yield from work_item_statements(item, feed, works, described)

    yield from closing_statements(doc, feed, works, (len(items), observations, events), ctx)

    summary.items, summary.observations, summary.events = len(items), observations, events


def count_statements(item: Mapping[str, Any], obs: str, work: str, provider: str,
                     generated: str, ingest_iri: str,
                     before: str | None) -> Iterator[tuple[str, Obj]]:
    """The predicate and object of every triple of one Count item, whose subject is always its
    observation ``obs`` (``work``: the item's work IRI; ``before``: the key's current
    observation before this feed, if any). The one definition of a Count's triples: both
    :func:`feed_statements` and the ingest fast path (:func:`map_feed_ntriples`) write these.
    Objects are spelt as tuples rather than through ``_iri``/``_lit``: this runs for every
    Count a bulk ingest maps."""
    source = item.get("source")
    yield RDF_TYPE, _QB_OBSERVATION
    yield RDF_TYPE, _ALM_OBSERVATION
    yield _ALM_WORK, ("iri", work)
    yield _ALM_METRIC, ("iri", concept_iri(item["metric"], METRICS_NS))
    yield _ALM_SOURCE, ("iri", concept_iri(source, SOURCES_NS) if source else provider)
    yield _ALM_VALUE, ("lit", str(int(item["value"])), XSD_INTEGER)
    yield _ALM_AGGREGATION, ("iri", ALM_NS + item["aggregation"])
    start = item.get("periodStart")
    if start:
        yield _ALM_PERIOD_START, ("lit", start, temporal_datatype(start))
    end = item["periodEnd"]
    yield _ALM_PERIOD_END, ("lit", end, temporal_datatype(end))
    retrieved = item.get("retrieved")
    if retrieved:
        yield _ALM_RETRIEVED, ("lit", retrieved, XSD_DATETIME)
    yield _PROV_GENERATED_AT, ("lit", retrieved or generated, XSD_DATETIME)
    yield _PROV_GENERATED_BY, ("iri", ingest_iri)
    if item.get("evidence"):
        yield _PROV_DERIVED_FROM, ("iri", item["evidence"])
    if before and before != obs:
        yield _PROV_REVISION_OF, ("iri", before)


_QB_OBSERVATION, _ALM_OBSERVATION = ("iri", QB_OBSERVATION), ("iri", ALM_NS + "Observation")
_ALM_WORK, _ALM_METRIC, _ALM_SOURCE, _ALM_VALUE, _ALM_AGGREGATION = (
    ALM_NS + name for name in ("work", "metric", "source", "value", "aggregation"))
_ALM_PERIOD_START, _ALM_PERIOD_END, _ALM_RETRIEVED = (
    ALM_NS + name for name in ("periodStart", "periodEnd", "retrieved"))
_PROV_GENERATED_AT, _PROV_GENERATED_BY, _PROV_DERIVED_FROM, _PROV_REVISION_OF = (
    PROV + name for name in ("generatedAtTime", "wasGeneratedBy", "wasDerivedFrom",
                             "wasRevisionOf"))


def event_statements(item: Mapping[str, Any], provider: str,
                     works: set[str]) -> Iterator[Statement]:
    """The triples of one Event item; the works it names are added to ``works``."""
    event = item["id"]
    subject = subject_iri(item["subject"])
    obj = work_iri(item["object"])
    works.add(obj)
    relation = concept_iri(item["relation"], RELATIONS_NS)
    source = item.get("source")
    yield event, RDF_TYPE, _iri(alm("Event"))
    yield event, alm("subject"), _iri(subject)
    yield event, alm("relation"), _iri(relation)
    yield event, alm("object"), _iri(obj)
    yield event, alm("occurred"), _lit(item["occurred"], XSD_DATETIME)
    yield event, alm("source"), _iri(
        concept_iri(source, SOURCES_NS) if source else provider)
    if item.get("license"):
        yield event, DCTERMS + "license", _iri(item["license"])
    if item.get("evidence"):
        yield event, PROV + "wasDerivedFrom", _iri(item["evidence"])
    if relation == RELATIONS_NS + "cites":
        works.add(subject)
        yield subject, CITO_CITES, _iri(obj)


def work_item_statements(item: Mapping[str, Any], feed: str, works: set[str],
                         described: dict[str, int]) -> Iterator[Statement]:
    """The triples of one Work item (``described`` counts repeated descriptions of a work)."""
    work = work_iri(item_work_id(item))
    works.add(work)
    occurrence = described.get(work, 0)
    described[work] = occurrence + 1
    yield from work_statements(work, item, metadata_base(feed, work, occurrence))


def closing_statements(doc: Mapping[str, Any], feed: str, works: set[str],
                       counts: tuple[int, int, int], ctx: IngestContext) -> Iterator[Statement]:
    """What follows the items: every work typed once, then the provenance."""
    for work in sorted(works):
        yield work, RDF_TYPE, _iri(alm("Work"))
    yield from provenance_statements(
        feed, doc["provider"], doc["generated"], doc.get("disclosure") or {}, counts, ctx)


def item_work_id(item: Mapping[str, Any]) -> str:
    """The identifier a Work item describes: ``work`` (feed format v1.1) or ``id`` (v1)."""
    return item["work"] if "work" in item else item["id"]


def metadata_base(feed: str, work: str, occurrence: int = 0) -> str:
    """The skolem IRI prefix of the nodes a Work item needs besides the work itself
    (``almid:work-meta/<hash>``; ``…/container``, ``…/author/1``, …). Hashed from the feed and
    the work, so each feed's description keeps its own nodes (two feeds never merge their
    author lists, and the current description is one feed's whole) and re-ingesting a feed
    mints the same IRIs. IRIs rather than blank nodes: SPARQL stores such as Virtuoso refuse
    blank nodes in ``INSERT DATA``, and a client can name them. ``occurrence`` tells apart
    repeated descriptions of one work in one feed (a ``duplicate-work`` warning)."""
    text = f"{feed}|{work}" if occurrence == 0 else f"{feed}|{work}|{occurrence}"
    return f"{ID_NS}work-meta/{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def named_node(parent: str, kind: str, name: str) -> str:
    """A skolem IRI for an organisation known only by name (an affiliation without ROR, a
    funder without id): derived from the name, so any route to the same feed gives it."""
    return f"{parent}/{kind}/{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def work_statements(work: str, item: Mapping[str, Any], base: str) -> Iterator[Statement]:
    """The triples of one Work item (docs/MODEL.md, Works): dcterms for title and date,
    schema.org for the rest, ORCID / ROR / Funder Registry / ISSN portal IRIs for identifiers.
    ``item`` must be valid (identifiers pass their check digits)."""
    if item.get("title"):
        yield work, DCTERMS + "title", _lit(item["title"])
    if item.get("issued"):
        yield work, DCTERMS + "issued", _lit(item["issued"], temporal_datatype(item["issued"]))
    for same in item.get("sameAs", ()):
        yield work, OWL_SAMEAS, _iri(subject_iri(same))
    if item.get("workType"):
        yield work, SCHEMA_NS + "additionalType", _lit(item["workType"])
    if item.get("publisher"):
        yield work, SCHEMA_NS + "publisher", _lit(item["publisher"])
    container = item.get("container")
    if container:
        node = base + "/container"
        yield work, SCHEMA_NS + "isPartOf", _iri(node)
        yield node, RDF_TYPE, _iri(SCHEMA_NS + "CreativeWork")
        if container.get("title"):
            yield node, DCTERMS + "title", _lit(container["title"])
        for issn in container.get("issn", ()):
            yield node, SCHEMA_NS + "issn", _lit(issn_value(issn))
            yield node, SCHEMA_NS + "sameAs", _iri(issn_iri(issn))
    for position, author in enumerate(item.get("authors", ()), start=1):
        node = f"{base}/author/{position}"
        yield work, SCHEMA_NS + "author", _iri(node)
        yield node, RDF_TYPE, _iri(SCHEMA_NS + "Person")
        yield node, SCHEMA_NAME, _lit(author["name"])
        yield node, SCHEMA_NS + "position", _lit(str(position), XSD_INTEGER)
        if author.get("orcid"):
            yield node, SCHEMA_NS + "sameAs", _iri(orcid_iri(author["orcid"]))
        for affiliation in author.get("affiliations", ()):
            org = (ror_iri(affiliation["ror"]) if affiliation.get("ror")
                   else named_node(node, "affiliation", affiliation["name"]))
            yield node, SCHEMA_NS + "affiliation", _iri(org)
            yield from _organisation(org, affiliation.get("name"))
    for funder in item.get("funders", ()):
        org = (funder_iri(funder["id"]) if funder.get("id")
               else named_node(base, "funder", funder["name"]))
        yield work, SCHEMA_NS + "funder", _iri(org)
        yield from _organisation(org, funder.get("name"))


def _organisation(org: str, name: str | None) -> Iterator[Statement]:
    yield org, RDF_TYPE, _iri(SCHEMA_NS + "Organization")
    if name:
        yield org, SCHEMA_NAME, _lit(name)


def provenance_statements(feed: str, provider: Mapping[str, Any], generated: str,
                          disclosure: Mapping[str, Any], counts: tuple[int, int, int],
                          ctx: IngestContext) -> Iterator[Statement]:
    """Who, when, which feed and which run: the feed node, its provider and the ingest."""
    agent = provider["id"]
    yield agent, RDF_TYPE, _iri(PROV + "Agent")
    if provider.get("name"):
        yield agent, SCHEMA_NAME, _lit(str(provider["name"]))

    yield ctx.ingest_iri, RDF_TYPE, _iri(alm("Ingest"))
    yield ctx.ingest_iri, RDF_TYPE, _iri(PROV + "Activity")
    yield ctx.ingest_iri, PROV + "endedAtTime", _lit(ctx.ingested_at, XSD_DATETIME)
    yield ctx.ingest_iri, PROV + "used", _iri(feed)

    items, observations, events = counts
    yield feed, RDF_TYPE, _iri(alm("Feed"))
    yield feed, RDF_TYPE, _iri(PROV + "Entity")
    yield feed, alm("provider"), _iri(agent)
    yield feed, PROV + "generatedAtTime", _lit(generated, XSD_DATETIME)
    yield feed, alm("contentHash"), _lit(ctx.content_hash)
    yield feed, alm("sequence"), _lit(str(ctx.sequence), XSD_INTEGER)
    yield feed, alm("ingestedAt"), _lit(ctx.ingested_at, XSD_DATETIME)
    yield feed, alm("itemCount"), _lit(str(items), XSD_INTEGER)
    yield feed, alm("observationCount"), _lit(str(observations), XSD_INTEGER)
    yield feed, alm("eventCount"), _lit(str(events), XSD_INTEGER)
    yield feed, PROV + "wasGeneratedBy", _iri(ctx.ingest_iri)
    present = [key for key in DISCLOSURE_KEYS if disclosure.get(key)]
    if present:
        node = disclosure_iri(feed)
        yield feed, alm("disclosure"), _iri(node)
        for key in present:
            yield node, alm(key), _lit(str(disclosure[key]))


def disclosure_iri(feed: str) -> str:
    """The skolem IRI of a feed's disclosure node (``almid:disclosure/<hash of the feed>``):
    no blank node, so every store takes it (Virtuoso refuses blank nodes in ``INSERT DATA``),
    every backend gives the same documents, and a re-send mints the same IRI."""
    return f"{ID_NS}disclosure/{hashlib.sha256(feed.encode()).hexdigest()[:32]}"


# ---------------------------------------------------------------------------------------------
# Sinks

def safe_iri(value: str) -> str:
    """The IRI written for a feed value: :func:`~alm_ld.identifiers.normalise_iri` (the
    characters browsers percent-encode), then the one IRI check (:func:`checked_iri`), which
    the validator runs on the same normalised value — so whatever validates, maps and stores.
    Both steps are fast for the usual, already clean IRI (a regex and a cache hit)."""
    return checked_iri(normalise_iri(value), "IRI")


def _nt_subject(value: str) -> str:
    return value if value.startswith("_:") else f"<{safe_iri(value)}>"


def _nt_object(obj: Obj) -> str:
    kind = obj[0]
    if kind == "iri":
        return f"<{safe_iri(obj[1])}>"
    if kind == "bnode":
        return f"_:{obj[1]}"
    text = '"' + escape_string(obj[1]) + '"'
    return f"{text}^^<{obj[2]}>" if len(obj) == 3 else text


def map_feed_ntriples(doc: Mapping[str, Any], ctx: IngestContext,
                      counts: list[FeedCount] | None = None) -> tuple[bytes, MappedFeed]:
    """The feed's graph as N-Triples bytes, built directly (the fast path used by ingest):
    the same lines, in the same order, as writing :func:`feed_statements` one by one.

    ``counts``: :func:`feed_counts` of ``doc`` when the caller has them (ingest derives the view
    and alerts from them first), so keys and observation IRIs are not computed twice."""
    feed = feed_iri(doc)
    summary = MappedFeed(feed)
    provider = normalise_iri(doc["provider"]["id"])
    generated = doc["generated"]
    items = doc.get("items", ())
    if counts is None:
        counts = feed_counts(doc)
    # Each IRI is checked once per feed: a work or observation is the subject or object of
    # ~10 statements, and the check (normalise + validate) was most of the mapping's time.
    terms: dict[str, str] = {}
    subjects: dict[str, str] = {}

    def subject(value: str) -> str:
        term = subjects.get(value)
        if term is None:
            term = subjects[value] = _nt_subject(value)
        return term

    def obj(value: Obj) -> str:
        if value[0] != "iri":
            return _nt_object(value)
        term = terms.get(value[1])
        if term is None:
            term = terms[value[1]] = _nt_object(value)
        return term

    def lines_of(statements: Iterator[Statement]) -> None:
        out.extend(f"{subject(s)} <{p}> {obj(o)} .\n" for s, p, o in statements)

    # A Count is ~12 lines (the bulk of a feed) with one subject, and most of their
    # predicate-object pairs recur across the feed (types, metric, source, dates): each
    # distinct pair is written once per feed, each Count joined in one go. Keys and
    # observation IRIs come from ``counts`` (same document order).
    tails: dict[tuple[str, Obj], str] = {}

    def tail(pair: tuple[str, Obj]) -> str:
        text = tails[pair] = f" <{pair[0]}> {obj(pair[1])} .\n"
        return text

    out: list[str] = []
    works: set[str] = set()
    described: dict[str, int] = {}
    observations = events = 0
    previous = ctx.previous
    keys = summary.keys
    ingest = ctx.ingest_iri
    next_count = iter(counts).__next__
    for item in items:
        kind = item.get("type")
        if kind == "Count":
            observations += 1
            count = next_count()
            obs = count.iri
            keys[count.key] = obs
            works.add(count.work)
            head = subject(obs)
            pairs = count_statements(item, obs, count.work, provider, generated, ingest,
                                     previous.get(count.key))
            # head tail₁ head tail₂ …: one join per count, the subject between the tails
            out.append(head + head.join([tails.get(pair) or tail(pair) for pair in pairs]))
        elif kind == "Event":
            events += 1
            lines_of(event_statements(item, provider, works))
        elif kind == "Work":
            lines_of(work_item_statements(item, feed, works, described))
    lines_of(closing_statements(doc, feed, works, (len(items), observations, events), ctx))
    summary.items, summary.observations, summary.events = len(items), observations, events
    return "".join(out).encode("utf-8"), summary

