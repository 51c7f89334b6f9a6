"""URLs the pages link to, built in one place so they follow the service's URL scheme.

Stored values reach the pages from provider feeds (an event's subject, an evidence URL, a
licence, a ``sameAs``), so a feed can carry ``javascript:alert(1)`` as easily as a real URL.
:func:`safe_href` is the one place that decides what may become an ``href``: only absolute
``http``/``https`` URLs (judged after the normalisation a browser applies) and the identifier
schemes the pages know (``doi:``, ``pmid:``, ``pmcid:``, ``arxiv:``, turned into their https
resolver URLs). Everything else is shown as escaped text, never as a link.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import parse_work_id
from alm_ld.web.work_document import work_path as _service_work_path

LINK_SCHEMES = frozenset({"http", "https"})
IDENTIFIER_SCHEMES = frozenset({"doi", "pmid", "pmcid", "arxiv"})

# What the WHATWG URL parser does before it reads a scheme: strip leading and trailing "C0
# control or space" (U+0000-U+0020) and remove every ASCII tab and newline anywhere, so
# " java\tscript:" is "javascript:" to a browser. Then the scheme is matched case-insensitively.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def browser_normalised(value: str) -> str:
    """``value`` as a browser's URL parser sees it before reading the scheme."""
    return _TAB_OR_NEWLINE.sub("", value.strip(_C0_OR_SPACE))


def safe_href(value: object) -> str | None:
    """The URL to put in an ``href`` for a stored ``value``, or None when it must stay text.

    ``http``/``https`` URLs with a host come back normalised (what the browser would follow);
    ``doi:``/``pmid:``/``pmcid:``/``arxiv:`` identifiers come back as their https resolver URL;
    every other scheme (``javascript:``, ``vbscript:``, ``data:``, ``file:``, …), relative
    references and anything unparseable give None.
    """
    if not isinstance(value, str):
        return None
    text = browser_normalised(value)
    match = _SCHEME.match(text)
    if not match:
        return None
    scheme = match.group(1).lower()
    if scheme in IDENTIFIER_SCHEMES:
        try:
            text = parse_work_id(text).iri
        except InvalidIdentifier:
            return None
        return safe_href(text) if text.lower().startswith("https://") else None
    if scheme not in LINK_SCHEMES:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return text


def work_path(work_iri: str) -> str:
    """The path of a work's page, as the works view serves it (``/works/10.1371/…``)."""
    try:
        return _service_work_path(work_iri)
    except InvalidIdentifier:
        return "/works/" + quote(work_iri, safe="")


def short_id(work_iri: str) -> str:
    """``doi:10.1/x`` for display; unknown forms are shown as they are."""
    try:
        return parse_work_id(work_iri).curie
    except InvalidIdentifier:
        return work_iri


def editor_link(query: str) -> str:
    """A link that opens the SPARQL editor with ``query`` in it (not run yet).

    A browser asks ``/sparql?query=…`` for ``text/html``, and the SPARQL view then answers with
    the editor holding the query instead of running it; other clients get results.
    """
    return "/sparql?query=" + quote(query, safe="")
