"""URLs the pages link to, built in one place so they follow the service's URL scheme."""

from __future__ import annotations

from urllib.parse import quote

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import parse_work_id
from alm_ld.web.work_document import work_path as _service_work_path


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
