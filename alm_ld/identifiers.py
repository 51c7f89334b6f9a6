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
import ipaddress
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
_SURROGATE = re.compile("[\ud800-\udfff]")
# What a DOI keeps unescaped in its IRI: printable ASCII but the IRI-unsafe characters and '%'
# (computed once: building it on every ``WorkId.iri`` cost a third of validation, profiled).
_DOI_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in _IRI_UNSAFE + "%")


@dataclass(frozen=True, order=True)
class WorkId:
    """A parsed work identifier: ``scheme`` and the normalised ``value`` within it."""

    scheme: Scheme
    value: str

    @property
    def iri(self) -> str:
        if self.scheme == "doi":
            return "https://doi.org/" + quote(self.value, safe=_DOI_SAFE)
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
        f"{_shown(text)} is not a work identifier ({why}). Accepted forms: {ACCEPTED_FORMS}.",
        value=str(text)[:500], acceptedForms=ACCEPTED_FORMS)


def _doi(raw: str, original: str) -> WorkId:
    value = unquote(raw.strip())
    if not _DOI.match(value):
        raise _invalid(original, "a DOI starts with '10.', a registrant code, '/' and a suffix")
    return WorkId("doi", value.lower())


def parse_work_id(text: object) -> WorkId:
    """Parse any accepted spelling; else raise :class:`InvalidIdentifier` naming the value.

    The canonical IRI of every accepted id passes :func:`iri_problem`, so it can be stored and
    written into SPARQL text (checked here once more, whatever the scheme)."""
    work = _parse_work_id(text)
    problem = iri_problem(work.iri)
    if problem is not None:
        raise _invalid(text, f"its IRI {work.iri!r} is not a valid IRI: {problem}")
    return work


def _parse_work_id(text: object) -> WorkId:
    if not isinstance(text, str):
        raise _invalid(text, "it is not a string")
    if _SURROGATE.search(text):
        raise _invalid(text, "it contains an unpaired UTF-16 surrogate, which is not text")
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
    """An https URL as a work IRI: it must be a valid IRI (checked *before* urlsplit, which
    raises on a malformed host) and is returned with scheme and host lower-cased."""
    if value[:8].lower() != "https://":
        raise _invalid(original, "it is neither a DOI, PMID, PMCID, arXiv id nor an https URL")
    problem = iri_problem(value)
    if problem is not None:
        raise _invalid(original, f"an https URL must be a valid IRI, but {problem}")
    try:
        parts = urlsplit(value)
    except ValueError as error:  # e.g. a host that NFKC-normalises to '/' or '@'
        raise _invalid(original, f"the URL cannot be split into host and path ({error})")
    if "." not in (parts.hostname or ""):
        raise _invalid(original, "an https URL needs a host name with a dot, e.g. example.org")
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
    """True for an absolute RFC 3987 IRI (``https://…``, ``urn:uuid:…``, ``mailto:…``) that the
    store accepts: the same rule as :func:`iri_problem`."""
    return isinstance(text, str) and iri_problem(text) is None


# ---------------------------------------------------------------------------------------------
# The one IRI checker (RFC 3987). Everything written into the store or into SPARQL text passes
# it: Oxigraph refuses what RFC 3987 refuses (tests/test_identifiers.py proves that everything
# accepted here is accepted by pyoxigraph.NamedNode), and an IRI that passes can never break out
# of ``<…>`` in SPARQL or N-Triples (no controls, space, ``<>"{}|\^```).

def _class(*spans: tuple[int, int]) -> str:
    """A regex character-class body for code point spans (all above ASCII: nothing to escape)."""
    return "".join(f"{chr(low)}-{chr(high)}" for low, high in spans)


# RFC 3987 §2.2: ucschar (allowed everywhere) and iprivate (allowed in the query only).
_UCSCHAR = _class((0xA0, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFEF),
                  *((plane * 0x10000, plane * 0x10000 + 0xFFFD) for plane in range(1, 14)),
                  (0xE1000, 0xEFFFD))
_IPRIVATE = _class((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_UNRESERVED = r"A-Za-z0-9\-._~" + _UCSCHAR
_SUB_DELIMS = "!$&'()*+,;="
_PCT = "%[0-9A-Fa-f]{2}"
_IPCHAR = f"(?:[{_UNRESERVED}{re.escape(_SUB_DELIMS)}:@]|{_PCT})"
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_USERINFO_RE = re.compile(f"(?:[{_UNRESERVED}{re.escape(_SUB_DELIMS)}:]|{_PCT})*")
_REG_NAME_RE = re.compile(f"(?:[{_UNRESERVED}{re.escape(_SUB_DELIMS)}]|{_PCT})*")
_IPV_FUTURE_RE = re.compile(f"[vV][0-9A-Fa-f]+\\.[A-Za-z0-9\\-._~{re.escape(_SUB_DELIMS)}:]+")
_PATH_RE = re.compile(f"(?:{_IPCHAR}|/)*")
_QUERY_RE = re.compile(f"(?:{_IPCHAR}|[/?{_IPRIVATE}])*")
_FRAGMENT_RE = re.compile(f"(?:{_IPCHAR}|[/?])*")
_BAD_PCT = re.compile("%(?![0-9A-Fa-f]{2})")
_NOT_IRI_CHARS = re.compile(f"[^{_UNRESERVED}{re.escape(_SUB_DELIMS)}:@/?#\\[\\]%{_IPRIVATE}]")
_DIGITS = re.compile(r"[0-9]*")
# A strict subset of the grammar below, for speed: scheme, optional //host[:port] of plain
# characters (mandatory when the text says "//"), then path/query and one optional fragment of
# ASCII ipchar characters without '%'. Anything else takes the full check.
_PLAIN_CHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*"
_PLAIN_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?://[A-Za-z0-9.\-_~]*(?::[0-9]*)?(?=[/?#]|$)|(?!//))"
    + _PLAIN_CHARS + "(?:#" + _PLAIN_CHARS + ")?")

IRI_RULE = (
    "an absolute IRI (RFC 3987): a scheme such as https: or urn:, then a host that is a name, "
    "an IPv4 address or [IPv6], and a path, query and fragment without spaces, control "
    "characters or any of < > \" { } | \\ ^ ` [ ] (percent-encode them, %XX with two hex digits)"
)


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        if not host.endswith("]"):
            return "an IP-literal host must be closed by ']'"
        inner = host[1:-1]
        if _IPV_FUTURE_RE.fullmatch(inner):
            return None
        if "%" in inner or not inner:
            return f"{host!r} is not an IPv6 address"
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return f"{host!r} is not an IPv6 address"
        return None
    if not _REG_NAME_RE.fullmatch(host):
        return f"the host {host!r} holds a character a host name may not hold"
    return None


def _authority_problem(authority: str) -> str | None:
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO_RE.fullmatch(userinfo):
        return "the user information before '@' holds a character it may not hold"
    if hostport.startswith("["):
        end = hostport.find("]")
        host, rest = (hostport, "") if end < 0 else (hostport[:end + 1], hostport[end + 1:])
        if rest and not rest.startswith(":"):
            return "only ':port' may follow an IP-literal host"
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    if not _DIGITS.fullmatch(port):
        return f"the port {port!r} is not a number"
    return _host_problem(host)


@functools.lru_cache(maxsize=65536)
def iri_problem(text: str) -> str | None:
    """Why ``text`` is not an absolute RFC 3987 IRI the store accepts, or None when it is.

    Cached: ingest and the analytics writers check the same feed and work IRIs many times."""
    if not isinstance(text, str) or not text:
        return "it is empty"
    if _PLAIN_IRI.fullmatch(text):
        return None  # the usual case: ASCII, no escapes, no user info (one regex, no branches)
    bad = _NOT_IRI_CHARS.search(text)
    if bad:
        char = bad.group()
        return f"it contains {_describe_char(char)}, which an IRI may not hold"
    if _BAD_PCT.search(text):
        return "'%' must start a percent-escape of two hex digits (%XX)"
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME_RE.fullmatch(scheme):
        return "it has no scheme (such as https: or urn:) before the first ':'"
    rest, hash_, fragment = rest.partition("#")
    if hash_ and not _FRAGMENT_RE.fullmatch(fragment):
        return "the fragment after '#' holds a character it may not hold"
    rest, question, query = rest.partition("?")
    if question and not _QUERY_RE.fullmatch(query):
        return "the query after '?' holds a character it may not hold"
    if rest.startswith("//"):
        end = rest.find("/", 2)
        end = len(rest) if end < 0 else end
        problem = _authority_problem(rest[2:end])
        if problem:
            return problem
        rest = rest[end:]
    if not _PATH_RE.fullmatch(rest):
        return ("the path holds a character it may not hold ('[' and ']' are allowed only "
                "around an IPv6 host, private-use characters only in the query)")
    return None


def _describe_char(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"{char!r}"
    return f"the character U+{ord(char):04X}"


# What :func:`normalise_iri` percent-encodes, as browsers do: space, controls and the
# characters that end ``<…>``, anywhere; ``[`` and ``]`` outside the host (Wikipedia titles and
# SICI DOIs carry them in paths, and valid JSON brings them).
_NORMALISE = {c: f"%{ord(c):02X}" for c in '<>"{}|^`\\ '} | {
    chr(c): f"%{c:02X}" for c in range(0x21)}
_NORMALISE_TABLE = str.maketrans(_NORMALISE)
_NEEDS_NORMALISING = re.compile("[" + re.escape("".join(_NORMALISE) + "[]") + "]")


def normalise_iri(value: str) -> str:
    """``value`` with the characters browsers percent-encode in a URL encoded; unchanged (the
    same object, no copy) when there are none. The result still has to pass
    :func:`iri_problem`: a malformed host, ``%zz`` or a C1 control are refused, not repaired."""
    if _NEEDS_NORMALISING.search(value) is None:
        return value  # the usual case; str.translate cost ~1 s per 25k items (profiled)
    value = value.translate(_NORMALISE_TABLE)
    if "[" in value or "]" in value:
        scheme, sep, rest = value.partition("://")
        if sep:
            slash = rest.find("/")
            if slash >= 0:
                return scheme + sep + rest[:slash] + _brackets(rest[slash:])
            return value
        return _brackets(value)
    return value


def _brackets(text: str) -> str:
    return text.replace("[", "%5B").replace("]", "%5D")


def is_iri(text: object) -> bool:
    """True when ``text`` is an absolute IRI by :func:`iri_problem`."""
    return isinstance(text, str) and iri_problem(text) is None


def checked_iri(text: object, what: str = "value") -> str:
    """``text`` when it is a valid absolute IRI; else :class:`InvalidIdentifier` naming it."""
    problem = "it is not a string" if not isinstance(text, str) else iri_problem(text)
    if problem is None:
        return text  # type: ignore[return-value]
    raise InvalidIdentifier(
        f"{_shown(text)} is not a valid {what} ({problem}). Expected {IRI_RULE}.",
        value=str(text)[:500], rule="iri")


def _shown(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 200 else shown[:197] + "…'"


# ---------------------------------------------------------------------------------------------
# People, organisations and serials (feed format v1.1 Work metadata). Each identifier carries a
# check digit so that a typo is caught at validation, not discovered as a phantom author or
# institution in the graph. Canonical forms are IRIs a linked-data client can dereference:
#
# =======  ==========================================  =========================================
# kind     accepted                                     canonical IRI
# =======  ==========================================  =========================================
# ORCID    ``0000-0002-1825-0097``, 16 digits without   ``https://orcid.org/0000-0002-1825-0097``
#          hyphens, ``orcid:…``, ``http(s)://orcid.org/…``   (final ``x`` upper-cased)
# ISSN     ``1932-6203``, ``19326203``, ``issn:…``,      ``https://portal.issn.org/resource/ISSN/
#          ``urn:issn:…``, the ISSN portal IRI          1932-6203`` (the ISSN International
#                                                       Centre's linked-data IRI: dereferenceable,
#                                                       unlike ``urn:issn:``)
# ROR      ``03vek6s52``, ``ror:…``, ``ror.org/…``,     ``https://ror.org/03vek6s52`` (lower-case)
#          ``http(s)://ror.org/…``
# funder   a Crossref Funder Registry DOI               ``https://doi.org/10.13039/100000001``;
#          (``10.13039/…`` in any DOI form) or a ROR    a ROR id as above
# =======  ==========================================  =========================================


@dataclass(frozen=True)
class MetadataIdProblem:
    """Why a value is not an ORCID / ISSN / ROR / funder id: ``rule`` (the validator's rule
    name) and ``message`` (what is wrong and how to fix it, one sentence or two)."""

    rule: str
    message: str


class InvalidMetadataId(InvalidIdentifier):
    """An ORCID, ISSN, ROR or funder id that is malformed or fails its check digit."""

    def __init__(self, problem: MetadataIdProblem, value: object) -> None:
        super().__init__(problem.message, value=str(value)[:500], rule=problem.rule)
        self.problem = problem


_ORCID = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE | re.ASCII)
_ORCID_PREFIX = re.compile(r"^(?:orcid:|https?://(?:www\.)?orcid\.org/)", re.IGNORECASE)
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE | re.ASCII)
_ISSN_PREFIX = re.compile(
    r"^(?:issn:|urn:issn:|https?://portal\.issn\.org/resource/issn/)", re.IGNORECASE)
ISSN_IRI_BASE = "https://portal.issn.org/resource/ISSN/"
ORCID_IRI_BASE = "https://orcid.org/"
ROR_IRI_BASE = "https://ror.org/"
# ROR ids: '0', six Crockford base32 characters (no i, l, o, u), two checksum digits.
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
_ROR_PREFIX = re.compile(r"^(?:ror:|(?:https?://)?(?:www\.)?ror\.org/)", re.IGNORECASE)
_FUNDER_DOI = re.compile(r"^10\.13039/[0-9]{5,12}$")

ORCID_HINT = ("An ORCID iD is 16 characters in four groups, the last a check digit or X "
              "(ISO 7064 MOD 11-2), e.g. 0000-0002-1825-0097 or "
              "https://orcid.org/0000-0002-1825-0097")
ISSN_HINT = ("An ISSN is 8 characters, the last a check digit or X (MOD 11), e.g. 1932-6203, "
             "urn:issn:1932-6203 or https://portal.issn.org/resource/ISSN/1932-6203")
ROR_HINT = ("A ROR id is '0', six base32 characters and a two-digit checksum (ISO 7064 "
            "MOD 97-10), e.g. 03vek6s52 or https://ror.org/03vek6s52")
FUNDER_HINT = ("A funder id is a Crossref Funder Registry DOI (10.13039/100000001, "
               "https://doi.org/10.13039/100000001) or a ROR id (https://ror.org/021nxhr62)")


def orcid_check_digit(base_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def issn_check_digit(seven_digits: str) -> str:
    """MOD 11 check character of the first 7 digits of an ISSN (weights 8 … 2)."""
    total = sum(int(d) * w for d, w in zip(seven_digits, range(8, 1, -1), strict=True))
    result = (11 - total % 11) % 11
    return "X" if result == 10 else str(result)


def ror_checksum(stem: str) -> str:
    """ISO 7064 MOD 97-10 checksum (two digits) of the 7-character base32 stem of a ROR id."""
    number = 0
    for char in stem:
        number = number * 32 + _CROCKFORD.index(char)
    return f"{98 - (number * 100) % 97:02d}"


def _metadata_text(text: object, what: str, hint: str, rule: str) -> str:
    if not isinstance(text, str):
        raise InvalidMetadataId(MetadataIdProblem(rule, f"{_shown(text)} is not a string. "
                                                  f"{hint}."), text)
    value = text.strip()
    if not value:
        raise InvalidMetadataId(MetadataIdProblem(rule, f"The {what} is empty. {hint}."), text)
    if not value.isascii():  # also keeps e.g. the Kelvin sign from lower-casing to 'k'
        raise InvalidMetadataId(MetadataIdProblem(
            rule, f"{_shown(text)} holds a non-ASCII character, which no {what} has. {hint}."),
            text)
    return value


def orcid_iri(text: object) -> str:
    """``https://orcid.org/XXXX-XXXX-XXXX-XXXX`` for any accepted ORCID spelling; else
    :class:`InvalidMetadataId` (rule ``orcid``) naming the value, the fault and the form."""
    value = _ORCID_PREFIX.sub("", _metadata_text(text, "ORCID iD", ORCID_HINT, "orcid"))
    match = _ORCID.match(value)
    if not match:
        raise InvalidMetadataId(MetadataIdProblem(
            "orcid", f"{_shown(text)} is not an ORCID iD. {ORCID_HINT}."), text)
    digits = "".join(match.groups()).upper()
    expected = orcid_check_digit(digits[:15])
    if digits[15] != expected:
        raise InvalidMetadataId(MetadataIdProblem(
            "orcid", f"{_shown(text)} fails the ORCID check digit: the last character would "
            f"be {expected!r}, so a digit is mistyped. Copy the iD from the person's ORCID "
            "record."), text)
    return ORCID_IRI_BASE + "-".join(digits[i:i + 4] for i in range(0, 16, 4))


def issn_value(text: object) -> str:
    """The ISSN as ``NNNN-NNNC`` (check character upper-cased) for any accepted spelling; else
    :class:`InvalidMetadataId` (rule ``issn``)."""
    value = _ISSN_PREFIX.sub("", _metadata_text(text, "ISSN", ISSN_HINT, "issn"))
    match = _ISSN.match(value)
    if not match:
        raise InvalidMetadataId(MetadataIdProblem(
            "issn", f"{_shown(text)} is not an ISSN. {ISSN_HINT}."), text)
    digits = "".join(match.groups()).upper()
    expected = issn_check_digit(digits[:7])
    if digits[7] != expected:
        raise InvalidMetadataId(MetadataIdProblem(
            "issn", f"{_shown(text)} fails the ISSN check digit: the last character would be "
            f"{expected!r}, so a digit is mistyped. Check it on https://portal.issn.org."),
            text)
    return f"{digits[:4]}-{digits[4:]}"


def issn_iri(text: object) -> str:
    """``https://portal.issn.org/resource/ISSN/NNNN-NNNC`` for any accepted ISSN spelling."""
    return ISSN_IRI_BASE + issn_value(text)


def ror_iri(text: object) -> str:
    """``https://ror.org/0xxxxxxNN`` for any accepted ROR spelling; else
    :class:`InvalidMetadataId` (rule ``ror``)."""
    value = _ROR_PREFIX.sub("", _metadata_text(text, "ROR id", ROR_HINT, "ror")).lower()
    value = value.rstrip("/")
    if not _ROR.match(value):
        raise InvalidMetadataId(MetadataIdProblem(
            "ror", f"{_shown(text)} is not a ROR id. {ROR_HINT}."), text)
    expected = ror_checksum(value[:7])
    if value[7:] != expected:
        raise InvalidMetadataId(MetadataIdProblem(
            "ror", f"{_shown(text)} fails the ROR checksum (it would end in {expected}), so "
            "a character is mistyped. Copy the id from https://ror.org."), text)
    return ROR_IRI_BASE + value


def funder_iri(text: object) -> str:
    """A funder id as an IRI: a Crossref Funder Registry DOI as ``https://doi.org/10.13039/…``,
    a ROR id as ``https://ror.org/…``; else :class:`InvalidMetadataId` (rule ``funder-id``)."""
    value = _metadata_text(text, "funder id", FUNDER_HINT, "funder-id")
    if _ROR_PREFIX.match(value) or _ROR.match(value.lower()):
        try:
            return ror_iri(value)
        except InvalidMetadataId as error:
            raise InvalidMetadataId(MetadataIdProblem("funder-id", error.detail), text) from None
    try:
        work = parse_work_id(value)
    except InvalidIdentifier:
        work = None
    if work is None or work.scheme != "doi" or not _FUNDER_DOI.match(work.value):
        raise InvalidMetadataId(MetadataIdProblem(
            "funder-id", f"{_shown(text)} is not a funder id. {FUNDER_HINT}."), text)
    return work.iri
