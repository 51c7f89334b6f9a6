"""Generate ``alm_ld/data/vocab.ttl`` from the hand-written model terms below and the researched
concept table ``tools/metric-concepts.csv`` (a copy of the project's
``standards/metric-concepts.csv``, original work of this project, built from standards/FACTS.md).

Why a script: the concept table has ~60 rows with seven mapping columns each; writing the SKOS
by hand would drift from the table. The generated Turtle is committed and is the source of truth
at run time; re-run ``python tools/build_vocab.py`` after editing the table or this file.
Choices (dropped rows, broader links, categories) are explained in docs/vocabulary.md.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from niso_items import NISO_ITEMS  # tools/ is on sys.path when run as a script
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT / "tools" / "metric-concepts.csv"
OUT = ROOT / "alm_ld" / "data" / "vocab.ttl"

ALM = Namespace("https://w3id.org/alm-ld/vocab#")
ALMM = Namespace("https://w3id.org/alm-ld/metrics/")
ALMR = Namespace("https://w3id.org/alm-ld/relations/")
ALMC = Namespace("https://w3id.org/alm-ld/categories/")
MAP = "https://w3id.org/alm-ld/mappings/"
PROV = Namespace("http://www.w3.org/ns/prov#")
QB = Namespace("http://purl.org/linked-data/cube#")
SCHEMA = Namespace("http://schema.org/")
C4O = Namespace("http://purl.org/spar/c4o/")
CITO = Namespace("http://purl.org/spar/cito/")
ONTOLOGY = URIRef("https://w3id.org/alm-ld/vocab")
METRIC_SCHEME = URIRef("https://w3id.org/alm-ld/metrics/")
RELATION_SCHEME = URIRef("https://w3id.org/alm-ld/relations/")

CATEGORIES = {
    "viewed": ("Viewed", "Usage: the work was looked at or downloaded (PLOS ALM group 'viewed')."),
    "saved": ("Saved", "The work was saved, bookmarked or added to a reader's library "
              "(PLOS ALM group 'saved')."),
    "discussed": ("Discussed", "The work was talked about, linked, commented on or reviewed "
                  "(PLOS ALM group 'discussed')."),
    "cited": ("Cited", "The work was cited or referenced by other works (PLOS ALM group "
              "'cited')."),
    "recommended": ("Recommended", "The work was endorsed, liked or recommended "
                    "(PLOS ALM group 'recommended')."),
}
# PlumX categories (the csv's niso_group column, FACTS §7) are broader matches of ours.
PLUMX = {"usage": "Usage", "captures": "Captures", "mentions": "Mentions",
         "social media": "Social Media", "citations": "Citations"}
CATEGORY_PLUMX = {"viewed": ["Usage"], "saved": ["Captures"],
                  "discussed": ["Mentions", "Social Media"], "cited": ["Citations"]}

# Rows of the csv that are not kept, with the reason (also in docs/vocabulary.md).
DROPPED = {
    "access-denied-no-license": "COUNTER turnaway: measures failed access, not attention to the "
    "work; fits no PLOS category.",
    "access-denied-limit-exceeded": "COUNTER turnaway: measures failed access, not attention to "
    "the work; fits no PLOS category.",
    "references-count": "Counts the works this work cites (its reference list), not attention "
    "the work receives; fits no PLOS category. Use Events with relation 'references' instead.",
}

# Core ids the csv lacks, providers write them by hand (docs/vocabulary.md).
EXTRA_METRICS = [
    {"concept_id": "readers", "pref_label": "Readers",
     "definition": "Number of users of a reference manager or reading service who have the work "
     "in their library (e.g. Mendeley reader_count, CiteULike users).",
     "schema_org_interaction": "schema:ReadAction", "niso_group": "captures",
     "lagotto_source": "mendeley; citeulike", "related_terms": "lagotto:bookmarks"},
    {"concept_id": "comments", "pref_label": "Comments",
     "definition": "Comments about the work: reader comments on the publisher page, comments on "
     "social posts linking the work, annotations.",
     "schema_org_interaction": "schema:CommentAction", "niso_group": "mentions",
     "lagotto_source": "plos_comments; journal_comments; facebook; reddit",
     "related_terms": "lagotto:discusses"},
]

# Core metric -> its category; every other concept names a broader concept here.
CORE_METRICS = {
    "views": "viewed", "downloads": "viewed", "readers": "saved", "bookmarks": "saved",
    "mentions": "discussed", "comments": "discussed", "citations": "cited",
    "recommendations": "recommended",
}
BROADER = {
    "total-item-investigations": "views", "unique-item-investigations": "views",
    "unique-title-investigations": "views", "total-item-requests": "downloads",
    "unique-item-requests": "downloads", "unique-title-requests": "downloads",
    "html-views": "views", "pdf-downloads": "downloads", "xml-downloads": "downloads",
    "supplementary-file-views": "views", "supplementary-file-downloads": "downloads",
    "mendeley-readers": "readers", "mendeley-groups": "bookmarks",
    "citeulike-bookmarks": "bookmarks", "code-repository-stars": "bookmarks",
    "code-repository-forks": "bookmarks",
    "discussions": "mentions", "tweets": "discussions", "retweets": "tweets",
    "shares": "mentions", "facebook-shares": "shares", "facebook-likes": "likes",
    "facebook-comments": "comments", "facebook-total": "discussions",
    "reddit-posts": "discussions", "reddit-comments": "comments", "reddit-score": "likes",
    "reddit-links": "discussions", "wikipedia-references": "mentions",
    "blog-posts": "mentions", "news-mentions": "mentions", "journal-comments": "comments",
    "qa-mentions": "discussions", "annotation-mentions": "mentions", "annotations": "comments",
    "likes": "recommendations", "supplementary-file-likes": "likes", "reviews": "mentions",
    "f1000-recommendations": "recommendations", "plaudit-endorsements": "recommendations",
    "crossref-citations": "citations", "scopus-citations": "citations",
    "wos-citations": "citations", "pmc-citations": "citations",
    "europe-pmc-citations": "citations", "europe-pmc-database-citations": "citations",
    "fulltext-search-citations": "citations", "ads-citations": "citations",
    "data-citations": "citations", "patent-citations": "citations",
}

# Relation concepts: id -> (label, definition, category, Event Data/Lagotto id, DataCite,
# schema.org action, lagotto exact id).
RELATIONS = {
    "cites": ("cites", "The subject (a work) cites the object in its reference list or "
              "metadata.", "cited", "cites", "Cites", None),
    "references": ("references", "The subject's reference list, metadata or page references "
                   "the object (e.g. a Wikipedia page citing a DOI).", "cited", "references",
                   "References", None),
    "discusses": ("discusses", "The subject (tweet, post, blog entry, comment) talks about or "
                  "links the object.", "discussed", "discusses", None, "CommentAction"),
    "mentions": ("mentions", "A web page links or names the object.", "discussed", "mentions",
                 None, None),
    "annotates": ("annotates", "The subject is an annotation anchored on the object's landing "
                  "page (Hypothes.is).", "discussed", "annotates", None, "CommentAction"),
    "shares": ("shares", "The subject shares the object on a social platform.", "discussed",
               "shares", None, "ShareAction"),
    "reviews": ("reviews", "The subject is a review of the object.", "discussed", "reviews",
                "Reviews", "ReviewAction"),
    "bookmarks": ("bookmarks", "The subject (a person or library) saved or bookmarked the "
                  "object.", "saved", "bookmarks", None, "BookmarkAction"),
    "reads": ("reads", "The subject (a reader) has the object in their reading library, e.g. "
              "a Mendeley reader.", "saved", None, None, "ReadAction"),
    "views": ("views", "The subject viewed the object.", "viewed", "views", None,
              "ViewAction"),
    "downloads": ("downloads", "The subject downloaded the object.", "viewed", "downloads",
                  None, "DownloadAction"),
    "likes": ("likes", "The subject expressed a positive reaction to the object.",
              "recommended", "likes", None, "LikeAction"),
    "recommends": ("recommends", "The subject (an expert or reader) recommends or endorses "
                   "the object.", "recommended", "recommends", None, "EndorseAction"),
}
EVENT_DATA_RELATIONS = {"cites", "references", "discusses", "mentions", "annotates", "shares",
                        "reviews", "bookmarks", "likes", "recommends"}
LAGOTTO_RELATIONS = {"cites", "references", "discusses", "reviews", "bookmarks", "views",
                     "downloads", "likes", "recommends"}

MAPPING_SCHEMES = {
    "counter": ("COUNTER Release 5 metric types", "Project COUNTER Code of Practice R5/R5.1, "
                "Metric_Type values"),
    "make-data-count": ("Make Data Count metric types", "COUNTER Code of Practice for Research "
                        "Data (Make Data Count)"),
    "event-data": ("Crossref Event Data relation types", "Crossref Event Data user guide, "
                   "relation_type_id values"),
    "datacite": ("DataCite relation types and REST count fields", "DataCite Metadata Schema "
                 "kernel-4 relationType, DataCite REST API DOI attributes, DataCite usage "
                 "event relation-type-id values"),
    "lagotto": ("Lagotto relation types", "Lagotto (PLOS ALM) v5 relation_types"),
    "lagotto-source": ("Lagotto sources", "Lagotto (PLOS ALM) source names"),
    "plumx": ("PlumX metric categories", "Plum Analytics / PlumX categories (the csv's "
              "niso_group column)"),
}


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def _proxy(g: Graph, scheme: str, notation: str) -> URIRef:
    """An IRI for an external name that has none of its own (a COUNTER metric type, …)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", notation).strip("-")
    iri = URIRef(f"{MAP}{scheme}/{slug}")
    if (iri, RDF.type, SKOS.Concept) not in g:
        scheme_iri = URIRef(f"{MAP}{scheme}/")
        g.add((iri, RDF.type, SKOS.Concept))
        g.add((iri, SKOS.inScheme, scheme_iri))
        g.add((iri, SKOS.notation, Literal(notation)))
        g.add((iri, SKOS.prefLabel, _en(f"{notation} ({MAPPING_SCHEMES[scheme][0]})")))
    return iri


def _split(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;/]", cell or "") if part.strip()]


def _describe(g: Graph, term: URIRef, label: str, comment: str) -> None:
    g.add((term, RDFS.label, _en(label)))
    g.add((term, RDFS.comment, _en(comment)))
    g.add((term, RDFS.isDefinedBy, ONTOLOGY))


def _add_class(g: Graph, name: str, label: str, comment: str, supers: list[URIRef]) -> None:
    g.add((ALM[name], RDF.type, RDFS.Class))
    g.add((ALM[name], RDF.type, OWL.Class))
    _describe(g, ALM[name], label, comment)
    for sup in supers:
        g.add((ALM[name], RDFS.subClassOf, sup))


def _add_individual(g: Graph, name: str, cls: URIRef, label: str, comment: str) -> None:
    g.add((ALM[name], RDF.type, cls))
    g.add((ALM[name], RDF.type, OWL.NamedIndividual))
    _describe(g, ALM[name], label, comment)


# Classes whose nodes carry a counted number about a work: stored observations, feed counts
# (before ingest) and alerts.
COUNTED = (ALM.Observation, ALM.Count, ALM.Alert)
# Classes with a counted period: observations, feed counts, Data Cube points and datasets (the
# window of a /works/{id}/metrics answer).
PERIODIC = (ALM.Observation, ALM.Count, QB.Observation, QB.DataSet)


def _model_terms(g: Graph) -> None:
    g.add((ONTOLOGY, RDF.type, OWL.Ontology))
    g.add((ONTOLOGY, RDFS.label, _en("alm-ld vocabulary")))
    g.add((ONTOLOGY, RDFS.comment, _en(
        "Classes and properties for article-level metrics as linked data: feeds, counts "
        "(observations), events and works, plus SKOS concept schemes of metrics and relations "
        "grouped under the five PLOS ALM categories.")))
    g.add((ONTOLOGY, DCTERMS.license, URIRef("https://creativecommons.org/publicdomain/zero/1.0/")))
    g.add((ONTOLOGY, OWL.versionInfo, Literal("1")))
    classes = {
        "Feed": ("Feed", "A batch of counts and events sent by one provider at one time; the "
                 "unit of ingest, validation and provenance.", [PROV.Entity]),
        "Count": ("Count", "A feed item stating one number about one work (becomes an "
                  "alm:Observation when ingested).", []),
        "Observation": ("Observation", "One stored number about one work for one metric, "
                        "source, aggregation and period.", [QB.Observation]),
        "Event": ("Event", "One relation between something (a tweet, a citing work, a page) "
                  "and a work, at a time.", []),
        "Work": ("Work", "A scholarly work identified by a DOI, PMID, PMCID, arXiv id or https "
                 "URL.", []),
        "Ingest": ("Ingest", "The activity of storing one feed.", [PROV.Activity]),
        "Aggregation": ("Aggregation", "How a count aggregates over time: cumulative or per "
                        "interval.", []),
        "Source": ("Source", "The upstream system a number or event comes from (e.g. crossref, "
                   "wikipedia), when it is not the provider itself.", []),
        "Disclosure": ("Disclosure", "A provider's answers to the NISO RP-25-2016 Altmetrics "
                       "Data Quality Code of Conduct reporting items.", []),
    }
    for name, spec in classes.items():
        _add_class(g, name, *spec)
    for name, comment in (("cumulative", "The value counts everything up to periodEnd."),
                          ("interval", "The value counts what happened between periodStart "
                           "and periodEnd.")):
        _add_individual(g, name, ALM.Aggregation, name, comment)

    obj, dat = OWL.ObjectProperty, OWL.DatatypeProperty
    props = {
        "provider": (obj, "provider", "The agent (organisation) that sent the feed, or whose "
                     "harvests an alert is about.", (ALM.Feed, ALM.Alert), PROV.Agent),
        "item": (obj, "item", "A count or event carried by the feed.", ALM.Feed, None),
        "feed": (obj, "feed", "The feed an observation or event came in.",
                 (ALM.Alert, QB.Observation), ALM.Feed),
        "disclosure": (obj, "disclosure", "The provider's NISO data-quality disclosure.",
                       (ALM.Feed, PROV.Agent), ALM.Disclosure),
        "work": (obj, "work", "The work the number is about.", COUNTED + (QB.DataSet,),
                 ALM.Work),
        "metric": (obj, "metric", "What is counted: a concept of the alm-ld metric scheme or "
                   "an extension concept.", COUNTED + (QB.Slice,), SKOS.Concept),
        "value": (dat, "value", "The count, a non-negative integer.",
                  COUNTED + (QB.Observation,), XSD.nonNegativeInteger),
        "aggregation": (obj, "aggregation", "alm:cumulative or alm:interval.",
                        (ALM.Observation, ALM.Count, QB.Slice), ALM.Aggregation),
        "periodStart": (dat, "period start", "Start of the counted period (date or "
                        "date-time); required for interval counts.", PERIODIC, None),
        "periodEnd": (dat, "period end", "End of the counted period (date or date-time).",
                      PERIODIC + (QB.Slice,), None),
        "source": (obj, "source", "The upstream system the number or event comes from.",
                   COUNTED + (ALM.Event, QB.Slice), ALM.Source),
        "retrieved": (dat, "retrieved", "When the provider read the number from its source.",
                      None, XSD.dateTime),
        "subject": (obj, "subject", "What relates to the work (a tweet, citing work, page); "
                    "also a shared subject in a related-works answer.", (ALM.Event,), None),
        "relation": (obj, "relation", "How the subject relates to the object: a concept of "
                     "the alm-ld relation scheme (in an event, or a shared subject's relations "
                     "in a related-works answer).", (ALM.Event,), SKOS.Concept),
        "object": (obj, "object", "The work the event is about.", ALM.Event, ALM.Work),
        "occurred": (dat, "occurred", "When the event happened.", ALM.Event, XSD.dateTime),
        "contentHash": (dat, "content hash", "SHA-256 of the feed's canonical JSON; the same "
                        "feed id with another hash is a conflict. A store also records the "
                        "hash of the vocabulary file it loaded on the vocabulary.",
                        (ALM.Feed, OWL.Ontology), XSD.string),
        "sequence": (dat, "sequence", "Ingest order of the feed (1, 2, …); the current value "
                     "of a count is the one from the feed with the highest sequence.",
                     ALM.Feed, XSD.integer),
        "ingestedAt": (dat, "ingested at", "When the feed was stored.", ALM.Feed,
                       XSD.dateTime),
        "itemCount": (dat, "item count", "Number of items in the feed.", ALM.Feed,
                      XSD.integer),
        "observationCount": (dat, "observation count", "Number of counts in the feed (or "
                             "sent by a provider).", (ALM.Feed, PROV.Agent), XSD.integer),
        "eventCount": (dat, "event count", "Number of events in the feed (or sent by a "
                       "provider).", (ALM.Feed, PROV.Agent), XSD.integer),
    }
    for name, (number, comment) in NISO_ITEMS.items():
        label = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
        props[name] = (dat, label, f"NISO RP-25-2016 reporting item {number}: {comment} "
                       "Text or a URL.", ALM.Disclosure, None)
    for name, spec in props.items():
        _add_property(g, name, spec)


def _add_property(g: Graph, name: str, spec: tuple) -> None:
    """Add one property. Its domain is one class (``rdfs:domain``: every subject *is* one, as an
    RDFS reasoner infers) only when nothing else uses the property; a property that several
    classes share gets a tuple, written as ``schema:domainIncludes`` (documentation, no
    inference), so that e.g. an alert's ``alm:value`` does not make the alert an Observation."""
    kind, label, comment, domain, rng = spec
    term = ALM[name]
    g.add((term, RDF.type, RDF.Property))
    g.add((term, RDF.type, kind))
    _describe(g, term, label, comment)
    if isinstance(domain, tuple):
        for cls in domain:
            g.add((term, SCHEMA.domainIncludes, cls))
    elif domain is not None:
        g.add((term, RDFS.domain, domain))
    if rng is not None:
        g.add((term, RDFS.range, rng))


# Alert types: (label, comment). The analytics area computes them (docs/analytics.md §3).
ALERT_TYPES = {
    "CountDecreased": ("count decreased", "A cumulative count is lower than the count before it "
                       "in time for the same work, metric and source, or a revision lowered it."),
    "ImplausibleJump": ("implausible jump", "A count of the discussed category grew faster "
                        "per day than the configured threshold."),
    "SourcesDisagree": ("sources disagree", "Two sources' latest cumulative values for the same "
                        "work and metric differ by more than the configured factor."),
    "StaleSource": ("stale source", "A source has not updated a work for 1.5 times the update "
                    "frequency its provider discloses."),
    "HarvestFailed": ("harvest failed", "The provider's last recorded harvest run failed for "
                      "some works."),
}


def _analytics_terms(g: Graph) -> None:
    """Terms of the analytics area: alerts (stored as RDF) and the terms of the JSON-LD answers
    of /works/{id}/metrics, /works/{id}/related and /sources (docs/analytics.md)."""
    for name, (label, comment, supers) in {
        "Alert": ("Alert", "A data-quality finding about stored counts or a provider's "
                  "harvests, computed after ingest and stored in an alert graph.",
                  [PROV.Entity]),
        "AlertType": ("Alert type", "The kind of an alert: alm:CountDecreased, "
                      "alm:ImplausibleJump, alm:SourcesDisagree, alm:StaleSource or "
                      "alm:HarvestFailed.", []),
    }.items():
        _add_class(g, name, label, comment, supers)
    for name, (label, comment) in ALERT_TYPES.items():
        _add_individual(g, name, ALM.AlertType, label, comment)

    obj, dat = OWL.ObjectProperty, OWL.DatatypeProperty
    props = {
        # Alerts (stored). An alert also uses alm:work, alm:metric, alm:source, alm:value,
        # alm:feed and alm:provider with their model meaning (hence their domainIncludes).
        "alertType": (obj, "alert type", "What kind of finding the alert is.", ALM.Alert,
                      ALM.AlertType),
        "previousValue": (dat, "previous value", "The number an alert compares alm:value "
                          "with: the earlier count (CountDecreased, ImplausibleJump), the other "
                          "source's count (SourcesDisagree) or the works attempted "
                          "(HarvestFailed).", ALM.Alert, XSD.integer),
        "otherSource": (obj, "other source", "The second source of a SourcesDisagree alert.",
                        ALM.Alert, ALM.Source),
        "observation": (obj, "observation", "The (newer) stored observation an alert is "
                        "about.", ALM.Alert, ALM.Observation),
        "previousObservation": (obj, "previous observation", "The stored observation an "
                                "alert compares with.", ALM.Alert, ALM.Observation),
        "previousFeed": (obj, "previous feed", "A feed that carried the previous "
                         "observation.", ALM.Alert, ALM.Feed),
        "alertTypes": (dat, "alert types", "The alert type names an alert list can contain "
                       "(in /alerts answers).", None, None),
        # Time series answers (qb:DataSet of a work's counts).
        "granularity": (dat, "granularity", "Bucket size of a time series: day, month or "
                        "year.", QB.DataSet, XSD.string),
        "increments": (dat, "increments", "Whether the points of a time series carry "
                       "alm:increment.", QB.DataSet, XSD.boolean),
        "increment": (dat, "increment", "A point's change from the previous bucket "
                      "(cumulative series; negative when the count fell) or the bucket's sum "
                      "(interval series).", None, XSD.integer),
        "currentValue": (dat, "current value", "The latest cumulative value of a series, or "
                         "the sum of all its intervals.", None, XSD.integer),
        "currentObservation": (obj, "current observation", "The stored observation that "
                               "holds a series' current value.", None, ALM.Observation),
        "comparison": (obj, "comparison", "The current values of several sources for one "
                       "metric side by side (sources are never summed).", QB.DataSet, None),
        "sourceValue": (obj, "source value", "One source's current value in a comparison.",
                        None, None),
        "ratio": (dat, "ratio", "Largest over smallest of the compared values.", None,
                  XSD.double),
        # Related-works answers.
        "score": (dat, "score", "Similarity of a related work: the Jaccard index of the two "
                  "works' subjects (citing works, mentioning pages).", None, XSD.double),
        "coCitationCount": (dat, "co-citation count", "Number of works citing both works.",
                            None, XSD.integer),
        "coMentionCount": (dat, "co-mention count", "Number of non-citation subjects (pages, "
                           "posts, libraries) referencing both works.", None, XSD.integer),
        "sharedSubject": (obj, "shared subject", "A subject of both works, with its relations: "
                          "the evidence for a related-work recommendation.", None, None),
        "subjectCount": (dat, "subject count", "Number of subjects (citing works, mentioning "
                         "pages) of a work.", None, XSD.integer),
        "scoringMethod": (dat, "scoring method", "How a related-works score is computed, in "
                          "words.", None, XSD.string),
        "reason": (dat, "reason", "Why a work is recommended as related, in words.", None,
                   XSD.string),
        # Provider dashboard answers (/sources).
        "feedCount": (dat, "feed count", "Number of feeds a provider has sent.", PROV.Agent,
                      XSD.integer),
        "lastIngestedAt": (dat, "last ingested at", "When the provider's latest feed was "
                           "stored.", PROV.Agent, XSD.dateTime),
        "lastGeneratedAt": (dat, "last generated at", "The latest generation time of the "
                            "provider's feeds (its last harvest).", PROV.Agent, XSD.dateTime),
        "failureRate": (dat, "failure rate", "Failed over attempted works in the provider's "
                        "last recorded harvest run.", PROV.Agent, XSD.double),
        "openAlertCount": (dat, "open alert count", "Number of current alerts about a provider "
                           "or source.", None, XSD.integer),
    }
    for name, spec in props.items():
        _add_property(g, name, spec)


def _schemes(g: Graph) -> None:
    for scheme, label, comment in (
        (METRIC_SCHEME, "alm-ld metrics", "What a Count counts. Feeds name a concept by its id "
         "(the part after https://w3id.org/alm-ld/metrics/)."),
        (RELATION_SCHEME, "alm-ld relations", "How an Event's subject relates to its object. "
         "Feeds name a concept by its id (the part after https://w3id.org/alm-ld/relations/)."),
    ):
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, RDFS.label, _en(label)))
        g.add((scheme, SKOS.prefLabel, _en(label)))
        g.add((scheme, RDFS.comment, _en(comment)))
        for cat in CATEGORIES:
            g.add((scheme, SKOS.hasTopConcept, ALMC[cat]))
    for cat, (label, definition) in CATEGORIES.items():
        iri = ALMC[cat]
        g.add((iri, RDF.type, SKOS.Concept))
        g.add((iri, SKOS.prefLabel, _en(label)))
        g.add((iri, SKOS.notation, Literal(cat)))
        g.add((iri, SKOS.definition, _en(definition)))
        for scheme in (METRIC_SCHEME, RELATION_SCHEME):
            g.add((iri, SKOS.inScheme, scheme))
            g.add((iri, SKOS.topConceptOf, scheme))
        for plumx in CATEGORY_PLUMX.get(cat, []):
            g.add((iri, SKOS.closeMatch, _proxy(g, "plumx", plumx)))
    for name, (label, source) in MAPPING_SCHEMES.items():
        scheme = URIRef(f"{MAP}{name}/")
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, SKOS.prefLabel, _en(label)))
        g.add((scheme, RDFS.comment, _en(f"Stand-in IRIs for names defined by: {source}. "
                                         "They carry the original name as skos:notation.")))


_DATACITE_FIELD = re.compile(r"\b(viewCount|downloadCount|citationCount|referenceCount)\b")
_DATACITE_REL = re.compile(r"\b(Is[A-Z][A-Za-z]+|Cites|References|Reviews)\b")
_DATACITE_EVENT = re.compile(r"\b([a-z]+(?:-[a-z]+)+-regular)\b")


def _metric(g: Graph, row: dict[str, str]) -> None:
    cid = row["concept_id"]
    iri = ALMM[cid]
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, SKOS.inScheme, METRIC_SCHEME))
    g.add((iri, SKOS.notation, Literal(cid)))
    g.add((iri, SKOS.prefLabel, _en(row["pref_label"])))
    g.add((iri, SKOS.definition, _en(row["definition"])))
    if cid in CORE_METRICS:
        g.add((iri, SKOS.broader, ALMC[CORE_METRICS[cid]]))
    else:
        g.add((iri, SKOS.broader, ALMM[BROADER[cid]]))
    if row.get("counter_metric"):
        g.add((iri, SKOS.exactMatch, _proxy(g, "counter", row["counter_metric"])))
    if row.get("mdc_metric"):
        g.add((iri, SKOS.closeMatch, _proxy(g, "make-data-count", row["mdc_metric"])))
    for part in _split(re.sub(r"\([^)]*\)", "", row.get("crossref_relation", ""))):
        g.add((iri, SKOS.relatedMatch, _proxy(g, "event-data", part)))
    datacite = row.get("datacite_field_or_relation", "")
    for regex in (_DATACITE_FIELD, _DATACITE_REL, _DATACITE_EVENT):
        for name in regex.findall(datacite):
            prop = SKOS.closeMatch if regex is _DATACITE_FIELD else SKOS.relatedMatch
            g.add((iri, prop, _proxy(g, "datacite", name)))
    for source in _split(row.get("lagotto_source", "")):
        g.add((iri, SKOS.relatedMatch, _proxy(g, "lagotto-source", source)))
    action = row.get("schema_org_interaction", "")
    if action.startswith("schema:"):
        g.add((iri, SKOS.closeMatch, SCHEMA[action.removeprefix("schema:")]))
    related = row.get("related_terms", "")
    for name in re.findall(r"lagotto:([a-z_]+)", related):
        g.add((iri, SKOS.relatedMatch, _proxy(g, "lagotto", name)))
    if "c4o:GlobalCitationCount" in related:
        g.add((iri, SKOS.closeMatch, C4O.GlobalCitationCount))
    if row.get("niso_group") in PLUMX:
        g.add((iri, SKOS.broadMatch, _proxy(g, "plumx", PLUMX[row["niso_group"]])))


def _relation(g: Graph, rid: str, spec: tuple) -> None:
    label, definition, category, event_data, datacite, action = spec
    iri = ALMR[rid]
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, SKOS.inScheme, RELATION_SCHEME))
    g.add((iri, SKOS.notation, Literal(rid)))
    g.add((iri, SKOS.prefLabel, _en(label)))
    g.add((iri, SKOS.definition, _en(definition)))
    g.add((iri, SKOS.broader, ALMC[category]))
    if rid in EVENT_DATA_RELATIONS:
        g.add((iri, SKOS.exactMatch, _proxy(g, "event-data", event_data)))
    if rid in LAGOTTO_RELATIONS:
        g.add((iri, SKOS.exactMatch, _proxy(g, "lagotto", rid)))
    if datacite:
        g.add((iri, SKOS.closeMatch, _proxy(g, "datacite", datacite)))
    if action:
        g.add((iri, SKOS.closeMatch, SCHEMA[action]))
    if rid == "cites":
        g.add((iri, SKOS.closeMatch, CITO.cites))
    metric = {"cites": "citations", "bookmarks": "bookmarks", "reads": "readers",
              "views": "views", "downloads": "downloads", "mentions": "mentions",
              "discusses": "discussions", "reviews": "reviews", "likes": "likes",
              "recommends": "recommendations", "shares": "shares",
              "annotates": "annotations", "references": "wikipedia-references"}.get(rid)
    if metric:
        g.add((iri, RDFS.seeAlso, ALMM[metric]))


def _writer_terms(g: Graph) -> None:
    """Terms of the many-writers protocol and of derived-data bookkeeping (docs/store.md,
    "Many writers"): a claim on the next sequence in the claims graph of a shared store, and the
    mark an alert graph carries once the feed's alerts were computed."""
    _add_class(g, "SequenceClaim", "Sequence claim", "A writer's short-lived claim on the next "
               "feed sequence of a shared store, kept in the claims graph until the feed is "
               "published (which removes it in the same transaction) or the claim expires.",
               [PROV.Entity])
    obj, dat = OWL.ObjectProperty, OWL.DatatypeProperty
    for name, spec in {
        "claimedSequence": (dat, "claimed sequence", "The feed sequence a claim reserves.",
                            ALM.SequenceClaim, XSD.integer),
        "claimedFeed": (obj, "claimed feed", "The feed a claim wants to publish.",
                        ALM.SequenceClaim, ALM.Feed),
        "claimedAt": (dat, "claimed at", "When the store wrote the claim (the store's own "
                      "clock, so every writer measures the lease on one clock).",
                      ALM.SequenceClaim, XSD.dateTime),
        "alertsComputedFor": (obj, "alerts computed for", "The feed whose alerts an alert "
                              "graph holds, present once they were computed: a feed without "
                              "it has its alerts recomputed when it is sent again.", None,
                              ALM.Feed),
        "probe": (dat, "probe", "A marker the store check writes into a probe graph and drops "
                  "again at once, to see that writes land where reads look (docs/deploy.md).",
                  None, XSD.string),
    }.items():
        _add_property(g, name, spec)


def build() -> Graph:
    g = Graph(bind_namespaces="none")
    for prefix, ns in (("rdf", RDF), ("rdfs", RDFS), ("alm", ALM), ("almm", ALMM),
                       ("almr", ALMR), ("almc", ALMC),
                       ("almmap", Namespace(MAP)), ("skos", SKOS), ("dcterms", DCTERMS),
                       ("owl", OWL), ("prov", PROV), ("qb", QB), ("schema", SCHEMA),
                       ("c4o", C4O), ("cito", CITO), ("xsd", XSD)):
        g.bind(prefix, ns, override=True)
    _model_terms(g)
    _analytics_terms(g)
    _writer_terms(g)
    _schemes(g)
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["concept_id"] not in DROPPED]
    for row in rows + EXTRA_METRICS:
        _metric(g, row)
    for rid, spec in RELATIONS.items():
        _relation(g, rid, spec)
    assert not any(isinstance(s, BNode) for s in g.subjects())
    return g


HEADER = """\
# alm-ld vocabulary: classes and properties of the RDF model (alm:), the SKOS metric scheme
# (almm:), the relation scheme (almr:) and the five PLOS ALM categories (almc:) that are the top
# concepts of both. GENERATED by tools/build_vocab.py from tools/metric-concepts.csv - edit
# those, then run `python tools/build_vocab.py`. See docs/vocabulary.md.
"""


def main() -> None:
    text = build().serialize(format="turtle")
    OUT.write_text(HEADER + text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    write_terms_index()


def write_terms_index() -> None:
    """The closed namespaces' term names beside the Turtle (alm_ld.vocab reads them instead of
    parsing it, when the index names the Turtle's sha256)."""
    import json

    from alm_ld.vocab import terms_index

    out = OUT.with_name("vocab-terms.json")
    out.write_text(json.dumps(terms_index(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
