"""Work metadata (feed format v1.1) from provider records: Crossref, OpenAlex, DataCite.

Each function turns one upstream record into the v1.1 fields of a ``Work`` item (``workType``,
``container``, ``publisher``, ``authors``, ``funders``). Identifiers are passed through the
same checks the validator applies (:mod:`alm_ld.identifiers`): upstream data has typos too, and
a harvester must never write a feed the validator refuses. An ORCID, ROR id or ISSN that fails
its check digit is dropped (the name stays); a funder id that is neither a Funder Registry DOI
nor a ROR id (an OpenAlex ``F…`` id) is dropped the same way. Each drop is told to ``note`` (the
harvester adds it to the run report), so an upstream typo is visible, not silently lost. Fields a
record lacks are omitted, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from alm_ld.identifiers import (
    InvalidIdentifier,
    funder_iri,
    issn_value,
    orcid_iri,
    ror_iri,
)
from alm_ld.vocab import CROSSREF_WORK_TYPES, WORK_TYPES

Metadata = dict[str, Any]
Note = Callable[[str], None]


def _ignore(_: str) -> None:
    """The default ``note``: callers that do not report drops."""


def _text(value: object) -> str | None:
    """One line of text (white space collapsed), or None for anything empty or not text."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _checked(value: object, check: Callable[[object], str], what: str,
             note: Note) -> str | None:
    """``check(value)`` (the canonical form), or None when the value fails the check (told to
    ``note`` as "<what> '<value>' left out: <why>")."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return check(value)
    except InvalidIdentifier as exc:
        note(f"{what} {value.strip()!r} left out: {exc.detail}")
        return None


def _issns(values: Iterable[object], note: Note) -> list[str]:
    out: list[str] = []
    for value in values:
        issn = _checked(value, issn_value, "ISSN", note)
        if issn and issn not in out:
            out.append(issn)
    return out


def _organisation(name: object, identifier: str | None, key: str) -> dict[str, str] | None:
    entry: dict[str, str] = {}
    text = _text(name)
    if text:
        entry["name"] = text
    if identifier:
        entry[key] = identifier
    return entry or None


def _author(name: str | None, orcid: object, affiliations: list[dict[str, str]], note: Note
            ) -> dict[str, Any] | None:
    if not name:
        return None
    author: dict[str, Any] = {"name": name}
    checked = _checked(orcid, orcid_iri, f"ORCID of {name}", note)
    if checked:
        author["orcid"] = checked
    if affiliations:
        author["affiliations"] = affiliations
    return author


def _finish(metadata: Metadata) -> Metadata:
    """Drop empty fields so a record without metadata adds nothing to the Work item."""
    return {key: value for key, value in metadata.items() if value}


def crossref_metadata(message: dict[str, Any], note: Note = _ignore) -> Metadata:
    """From a Crossref ``/works/{doi}`` message: ``type``, ``container-title`` and ``ISSN``,
    ``publisher``, ``author`` (``given``/``family`` or ``name``, ``ORCID``, ``affiliation``
    with ROR ids in ``id``), ``funder`` (``DOI`` is a Funder Registry DOI)."""
    container: dict[str, Any] = {}
    title = _text(message.get("container-title"))
    if title:
        container["title"] = title
    issns = _issns(message.get("ISSN") or (), note)
    if issns:
        container["issn"] = issns
    authors = []
    for person in message.get("author") or ():
        if not isinstance(person, dict):
            continue
        name = _text(" ".join(p for p in (person.get("given"), person.get("family"))
                              if isinstance(p, str))) or _text(person.get("name"))
        affiliations = []
        for affiliation in person.get("affiliation") or ():
            if not isinstance(affiliation, dict):
                continue
            ror = next((_checked(i.get("id"), ror_iri, "ROR id", note)
                        for i in affiliation.get("id") or ()
                        if isinstance(i, dict) and str(i.get("id-type", "")).upper() == "ROR"),
                       None)
            entry = _organisation(affiliation.get("name"), ror, "ror")
            if entry:
                affiliations.append(entry)
        author = _author(name, person.get("ORCID"), affiliations, note)
        if author:
            authors.append(author)
    funders = []
    for funder in message.get("funder") or ():
        if isinstance(funder, dict):
            entry = _organisation(funder.get("name"),
                                  _checked(funder.get("DOI"), funder_iri, "funder id", note),
                                  "id")
            if entry and entry not in funders:
                funders.append(entry)
    work_type = message.get("type")
    return _finish({
        "workType": work_type if work_type in WORK_TYPES else None,
        "container": container, "publisher": _text(message.get("publisher")),
        "authors": authors, "funders": funders})


def openalex_metadata(body: dict[str, Any], note: Note = _ignore) -> Metadata:
    """From an OpenAlex work: ``type_crossref`` (else ``type`` when it is a Crossref type id
    too), ``primary_location.source`` (journal name, ISSNs, host organisation as publisher),
    ``authorships`` (author name and ORCID, institutions with ROR), ``funders`` (name, ROR)
    or the older ``grants`` (funder names only: their ids are OpenAlex ids)."""
    work_type = body.get("type_crossref") or body.get("type")
    location = body.get("primary_location")
    source = location.get("source") if isinstance(location, dict) else None
    container: dict[str, Any] = {}
    publisher = None
    if isinstance(source, dict):
        title = _text(source.get("display_name"))
        if title:
            container["title"] = title
        issns = _issns([source.get("issn_l"), *(source.get("issn") or ())], note)
        if issns:
            container["issn"] = issns
        publisher = _text(source.get("host_organization_name"))
    authors = []
    for authorship in body.get("authorships") or ():
        if not isinstance(authorship, dict):
            continue
        person = authorship.get("author") if isinstance(authorship.get("author"), dict) else {}
        affiliations = []
        for institution in authorship.get("institutions") or ():
            if isinstance(institution, dict):
                entry = _organisation(institution.get("display_name"),
                                      _checked(institution.get("ror"), ror_iri, "ROR id",
                                               note), "ror")
                if entry:
                    affiliations.append(entry)
        author = _author(_text(person.get("display_name")), person.get("orcid"), affiliations,
                         note)
        if author:
            authors.append(author)
    funders = []
    for funder in body.get("funders") or ():
        if isinstance(funder, dict):
            entry = _organisation(funder.get("display_name"),
                                  _checked(funder.get("ror"), funder_iri, "funder id", note), "id")
            if entry and entry not in funders:
                funders.append(entry)
    if not funders:
        for grant in body.get("grants") or ():
            if isinstance(grant, dict):
                entry = _organisation(grant.get("funder_display_name"), None, "id")
                if entry and entry not in funders:
                    funders.append(entry)
    return _finish({
        "workType": work_type if work_type in CROSSREF_WORK_TYPES else None,
        "container": container, "publisher": publisher, "authors": authors,
        "funders": funders})


def datacite_metadata(attributes: dict[str, Any], note: Note = _ignore) -> Metadata:
    """From DataCite ``data.attributes``: ``types.resourceTypeGeneral``, ``container``
    (``title``, ``identifier`` when its type is ISSN), ``publisher`` (text or, in newer
    responses, an object with ``name``), ``creators`` (``nameIdentifiers`` of scheme ORCID;
    ``affiliation`` as strings or objects with a ROR ``affiliationIdentifier``) and
    ``fundingReferences`` (``funderIdentifier`` of type Crossref Funder ID or ROR)."""
    types = attributes.get("types") if isinstance(attributes.get("types"), dict) else {}
    container: dict[str, Any] = {}
    upstream = attributes.get("container")
    if isinstance(upstream, dict):
        title = _text(upstream.get("title"))
        if title:
            container["title"] = title
        if str(upstream.get("identifierType", "")).upper() == "ISSN":
            issns = _issns([upstream.get("identifier")], note)
            if issns:
                container["issn"] = issns
    publisher = attributes.get("publisher")
    if isinstance(publisher, dict):
        publisher = publisher.get("name")
    authors = []
    for creator in attributes.get("creators") or ():
        if not isinstance(creator, dict):
            continue
        orcid = next((i.get("nameIdentifier") for i in creator.get("nameIdentifiers") or ()
                      if isinstance(i, dict)
                      and str(i.get("nameIdentifierScheme", "")).upper() == "ORCID"), None)
        affiliations = []
        for affiliation in creator.get("affiliation") or ():
            if isinstance(affiliation, str):
                entry = _organisation(affiliation, None, "ror")
            elif isinstance(affiliation, dict):
                ror = (_checked(affiliation.get("affiliationIdentifier"), ror_iri, "ROR id",
                                note)
                       if str(affiliation.get("affiliationIdentifierScheme", "")).upper()
                       == "ROR" else None)
                entry = _organisation(affiliation.get("name"), ror, "ror")
            else:
                entry = None
            if entry:
                affiliations.append(entry)
        author = _author(_text(creator.get("name")), orcid, affiliations, note)
        if author:
            authors.append(author)
    funders = []
    for funding in attributes.get("fundingReferences") or ():
        if isinstance(funding, dict):
            entry = _organisation(funding.get("funderName"),
                                  _checked(funding.get("funderIdentifier"), funder_iri, "funder id",
                                           note), "id")
            if entry and entry not in funders:
                funders.append(entry)
    work_type = types.get("resourceTypeGeneral")
    return _finish({
        "workType": work_type if work_type in WORK_TYPES else None,
        "container": container, "publisher": _text(publisher), "authors": authors,
        "funders": funders})
