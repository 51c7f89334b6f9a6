"""Content negotiation as a pure function (no request object), so it is testable without sockets.

Accept headers are parsed by werkzeug's :class:`MIMEAccept` (q-values, wildcards, specificity);
``?format=`` short names override the header, which is what people type in a browser bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from alm_ld.errors import NotAcceptable

# Short names accepted by ?format= (and their media types), shared by every negotiating view.
FORMAT_NAMES: Mapping[str, str] = {
    "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/json",
    "ttl": "text/turtle", "turtle": "text/turtle",
    "nt": "application/n-triples", "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "rdf": "application/rdf+xml", "xml": "application/rdf+xml", "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "html": "text/html",
    "srj": "application/sparql-results+json", "srx": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values",
}


def negotiate(accept: str | None, offers: Sequence[str], *, format_param: str | None = None,
              aliases: Mapping[str, str] | None = None) -> str:
    """The media type to answer with, among ``offers`` (first offer = default).

    ``format_param`` is a short name (``ttl``) or a media type; it wins over ``accept``.
    ``aliases`` maps requested types that are served as another offer (e.g. ``application/xml``
    as SPARQL XML results). Raises :class:`NotAcceptable` naming what is available.
    """
    aliases = aliases or {}
    if format_param:
        wanted = FORMAT_NAMES.get(format_param.strip().lower(), format_param.strip().lower())
        wanted = aliases.get(wanted, wanted)
        if wanted in offers:
            return wanted
        raise NotAcceptable(
            f"format={format_param!r} is not available here; use one of "
            f"{', '.join(_short_names(offers))} or a media type ({', '.join(offers)}).",
            available=list(offers))
    if not accept or not accept.strip():
        return offers[0]
    best = _best_match(accept, tuple(offers), tuple(aliases.items()))
    if best is None:
        raise NotAcceptable(
            f"None of the requested media types ({accept}) is available; this resource is "
            f"served as {', '.join(offers)}.", available=list(offers))
    return best


@lru_cache(maxsize=512)
def _best_match(accept: str, offers: tuple[str, ...],
                aliases: tuple[tuple[str, str], ...]) -> str | None:
    """The served type for one Accept header, computed once per distinct header and offers
    (parsing it was ~50 us of every request; clients send the same few headers again and
    again). Bounded: at most 512 distinct keys are kept."""
    parsed = _without_parameters(parse_accept_header(accept, MIMEAccept))
    targets = dict(aliases)
    candidates = list(offers) + [alias for alias, target in aliases if target in offers]
    best = parsed.best_match(candidates)
    return None if best is None else targets.get(best, best)


def _without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """The same preferences with media-type parameters (other than q) dropped.

    werkzeug matches ``application/ld+json; profile="…"`` only against an offer with the same
    parameters, so ActivityPub clients (``profile=…activitystreams``), JSON-LD clients asking
    for a compacted form, and ``text/turtle;charset=utf-8`` got 406. Every offer here is
    served in UTF-8 and JSON-LD is served compacted against a named context, so these
    parameters never change which representation is chosen."""
    return MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in accept])


def _short_names(offers: Sequence[str]) -> list[str]:
    names = []
    for offer in offers:
        for name, media in FORMAT_NAMES.items():
            if media == offer:
                names.append(name)
                break
    return names
