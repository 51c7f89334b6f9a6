"""The JSON-LD contexts of the analytics documents.

Analytics documents use the alm-ld context v1 for the feed terms (``metric``, ``source``,
``value``, …) plus a small inline context for the terms v1 does not define. v1 is ``@protected``,
so the inline context only *adds* terms; it never redefines one of v1's.
"""

from __future__ import annotations

from alm_ld.resources import CONTEXT_URL

QB = "http://purl.org/linked-data/cube#"

ANALYTICS_TERMS = {
    "qb": QB,
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "cito": "http://purl.org/spar/cito/",
    "DataSet": "qb:DataSet",
    "Slice": "qb:Slice",
    "slice": {"@id": "qb:slice", "@container": "@set"},
    "observation": {"@id": "qb:observation", "@container": "@set"},
    "period": "sdmx-dimension:refPeriod",
    "granularity": "alm:granularity",
    "increments": {"@id": "alm:increments", "@type": "xsd:boolean"},
    "increment": {"@id": "alm:increment", "@type": "xsd:integer"},
    "current": {"@id": "alm:currentValue", "@type": "xsd:integer"},
    "currentObservation": {"@id": "alm:currentObservation", "@type": "@id"},
    "derivedFrom": {"@id": "prov:wasDerivedFrom", "@type": "@id", "@container": "@set"},
    "feed": {"@id": "alm:feed", "@type": "@id", "@container": "@set"},
    "comparison": {"@id": "alm:comparison", "@container": "@set"},
    "values": {"@id": "alm:sourceValue", "@container": "@set"},
    "ratio": {"@id": "alm:ratio", "@type": "xsd:double"},
    "Alert": "alm:Alert",
    "alertType": {"@id": "alm:alertType", "@type": "@vocab",
                  "@context": {"@vocab": "https://w3id.org/alm-ld/vocab#"}},
    "previousValue": {"@id": "alm:previousValue", "@type": "xsd:integer"},
    "otherSource": {"@id": "alm:otherSource", "@type": "@vocab",
                    "@context": {"@vocab": "https://w3id.org/alm-ld/sources/"}},
    "previousFeed": {"@id": "alm:previousFeed", "@type": "@id", "@container": "@set"},
    "observations": {"@id": "alm:observation", "@type": "@id", "@container": "@set"},
    "detected": {"@id": "prov:generatedAtTime", "@type": "xsd:dateTime"},
    "message": "rdfs:comment",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "alerts": {"@id": "rdfs:member", "@container": "@set"},
    "related": {"@id": "rdfs:member", "@container": "@set"},
    "score": {"@id": "alm:score", "@type": "xsd:double"},
    "coCitations": {"@id": "alm:coCitationCount", "@type": "xsd:integer"},
    "coMentions": {"@id": "alm:coMentionCount", "@type": "xsd:integer"},
    "shared": {"@id": "alm:sharedSubject", "@container": "@set"},
    "sources": {"@id": "rdfs:member", "@container": "@set"},
    "feeds": {"@id": "alm:feedCount", "@type": "xsd:integer"},
    "observationCount": {"@id": "alm:observationCount", "@type": "xsd:integer"},
    "eventCount": {"@id": "alm:eventCount", "@type": "xsd:integer"},
    "lastIngested": {"@id": "alm:lastIngestedAt", "@type": "xsd:dateTime"},
    "lastGenerated": {"@id": "alm:lastGeneratedAt", "@type": "xsd:dateTime"},
    "failureRate": {"@id": "alm:failureRate", "@type": "xsd:double"},
    "openAlerts": {"@id": "alm:openAlertCount", "@type": "xsd:integer"},
    "alertsUrl": {"@id": "rdfs:seeAlso", "@type": "@id"},
    "alertTypes": {"@id": "alm:alertTypes", "@container": "@set"},
    "subjectCount": {"@id": "alm:subjectCount", "@type": "xsd:integer"},
    "scoring": "alm:scoringMethod",
    "reason": "alm:reason",
}

ANALYTICS_CONTEXT = [CONTEXT_URL, ANALYTICS_TERMS]
