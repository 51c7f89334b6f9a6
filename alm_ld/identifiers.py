"""Work identifiers: parse every accepted spelling, keep one canonical IRI.

Providers spell the same work many ways (``10.1371/X``, ``DOI:10.1371/x``,
``https://dx.doi.org/10.1371%2FX``, …). Keys, IRIs and comparisons all use the canonical form
made here, so an upper-case DOI from Event Data and a lower-case one from Crossref meet in one
node. DOIs are case-insensitive by definition and are stored lower-case.

Canonical IRIs:

=======  =============================  ===============================================
scheme   accepted                       canonical IRI
=======  =============================  ===============================================
doi      ``10.x/…``, ``doi:10.x/…``,     ``https://doi.org/10.x/…`` (lower-case)
         ``http(s)://(dx.)doi.org/…``
pmid     ``pmid:123``, PubMed URL        ``https://pubmed.ncbi.nlm.nih.gov/123``
pmcid    ``pmcid:PMC123``, PMC URL       ``https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123``
arxiv    ``arxiv:2101.00001``, abs URL   ``https://arxiv.org/abs/2101.00001``
url      any other absolute https URL    the URL, scheme and host lower-cased
=======  =============================  ===============================================
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from alm_ld.errors import InvalidIdentifier

Scheme = Literal["doi", "pmid", "pmcid", "arxiv", "url"]

ACCEPTED_FORMS = (
    "a DOI (10.1371/journal.pone.0000001, doi:10.1371/…, https://doi.org/10.1371/…), "
    "pmid:12345, pmcid:PMC12345, arxiv:2101.00001, or an absolute https URL"
)

_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.IGNORECASE)
_PMID = re.compile(r"^[1-9]\d{0,9}$")
_PMCID = re.compile(r"^(?:PMC)?([1-9]\d{0,9})$", re.IGNORECASE)
_ARXIV = re.compile(
    r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE)
_PREFIXED = re.compile(r"^(doi|pmid|pmcid|arxiv)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_PREFIX_SPACE = re.compile(r"^(doi|pmid|pmcid|arxiv)\s*:\s*", re.IGNORECASE)
_PUBMED_URL = re.compile(r"^https?://(?:www\.)?pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/?$", re.I)
_PUBMED_OLD_URL = re.compile(r"^https?://www\.ncbi\.nlm\.nih\.gov/pubmed/(\d+)/?$", re.I)
_PMC_URL = re.compile(
    r"^https?://(?:www\.ncbi\.nlm\.nih\.gov/pmc/articles|pmc\.ncbi\.nlm\.nih\.gov/articles)/"
    r"(PMC\d+)/?$", re.I)
_ARXIV_URL = re.compile(r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?$", re.I)

# Characters a DOI may contain that an IRI path may not (RFC 3987 excludes them; square
# brackets are gen-delims allowed only in a host, and Oxigraph rejects them in a path).
_IRI_UNSAFE = '<>"{}|\\^` []'


@dataclass(frozen=True, order=True)
class WorkId:
    """A parsed work identifier: ``scheme`` and the normalised ``value`` within it."""

    scheme: Scheme
    value: str

    @property
    def iri(self) -> str:
        if self.scheme == "doi":
            return "https://doi.org/" + quote(self.value, safe="".join(
                chr(c) for c in range(33, 127) if chr(c) not in _IRI_UNSAFE + "%"))
        if self.scheme == "pmid":
            return "https://pubmed.ncbi.nlm.nih.gov/" + self.value
        if self.scheme == "pmcid":
            return "https://www.ncbi.nlm.nih.gov/pmc/articles/" + self.value
        if self.scheme == "arxiv":
            return "https://arxiv.org/abs/" + self.value
        return self.value

    @property
    def curie(self) -> str:
        """The short prefixed form (``doi:10.1/x``); URLs are returned unchanged."""
        return self.value if self.scheme == "url" else f"{self.scheme}:{self.value}"

    def __str__(self) -> str:
        return self.iri


def _invalid(text: object, why: str) -> InvalidIdentifier:
    return InvalidIdentifier(
        f"{text!r} is not a work identifier ({why}). Accepted forms: {ACCEPTED_FORMS}.",
        value=str(text), acceptedForms=ACCEPTED_FORMS)


def _doi(raw: str, original: str) -> WorkId:
    value = unquote(raw.strip())
    if not _DOI.match(value):
        raise _invalid(original, "a DOI starts with '10.', a registrant code, '/' and a suffix")
    return WorkId("doi", value.lower())


def parse_work_id(text: object) -> WorkId:
    """Parse any accepted spelling; else raise :class:`InvalidIdentifier` naming the value."""
    if not isinstance(text, str):
        raise _invalid(text, "it is not a string")
    value = text.strip()
    if not value:
        raise _invalid(text, "it is empty")
    value = _PREFIX_SPACE.sub(lambda m: m.group(1) + ":", value)
    if any(ch.isspace() for ch in value):
        raise _invalid(text, "it contains white space")
    if value[:3] == "10.":
        return _doi(value, text)
    prefixed = _PREFIXED.match(value)
    if prefixed:
        scheme, rest = prefixed.group(1).lower(), prefixed.group(2)
        if scheme == "doi":
            if _DOI_URL.match(rest):
                rest = _DOI_URL.sub("", rest)
            return _doi(rest, text)
        if scheme == "pmid":
            if not _PMID.match(rest):
                raise _invalid(text, "a PMID is a positive whole number, e.g. pmid:17183631")
            return WorkId("pmid", rest)
        if scheme == "pmcid":
            match = _PMCID.match(rest)
            if not match:
                raise _invalid(text, "a PMCID is 'PMC' and digits, e.g. pmcid:PMC1762330")
            return WorkId("pmcid", "PMC" + match.group(1))
        if not _ARXIV.match(rest):
            raise _invalid(text, "an arXiv id looks like 2101.00001 or hep-th/9901001")
        return WorkId("arxiv", rest.lower() if "/" not in rest else rest)
    if _DOI_URL.match(value):
        return _doi(_DOI_URL.sub("", value), text)
    for pattern, scheme in ((_PUBMED_URL, "pmid"), (_PUBMED_OLD_URL, "pmid")):
        match = pattern.match(value)
        if match:
            return WorkId(scheme, match.group(1))
    match = _PMC_URL.match(value)
    if match:
        return WorkId("pmcid", match.group(1).upper())
    match = _ARXIV_URL.match(value)
    if match and _ARXIV.match(match.group(1)):
        return WorkId("arxiv", match.group(1))
    return WorkId("url", _https_url(value, text))


def _https_url(value: str, original: str) -> str:
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme.lower() != "https" or "." not in host:
        raise _invalid(original, "it is neither a DOI, PMID, PMCID, arXiv id nor an https URL")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/",
                       parts.query, parts.fragment))


def work_iri(text: object) -> str:
    """The canonical IRI for any accepted spelling of a work identifier."""
    if isinstance(text, str):
        return _cached_work_iri(text)
    return parse_work_id(text).iri


@functools.lru_cache(maxsize=65536)
def _cached_work_iri(text: str) -> str:
    """Validation, key building and mapping normalise every work of a feed several times
    (profiled: ~20% of ingest time); the answer for a string never changes, so cache it.
    Invalid identifiers raise and are not cached."""
    return parse_work_id(text).iri


def is_absolute_iri(text: object) -> bool:
    """True for an absolute IRI with a scheme (``https://…``, ``urn:uuid:…``, ``mailto:…``)."""
    if not isinstance(text, str) or not text or any(ch.isspace() or ch in '<>"{}|\\^`'
                                                    for ch in text):
        return False
    scheme, sep, rest = text.partition(":")
    return bool(sep and rest and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme))
