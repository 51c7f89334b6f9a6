"""The JSON-LD contexts of the analytics documents.

Analytics documents name two short, cacheable context URLs: the alm-ld context v1 for the feed
terms (``metric``, ``source``, ``value``, …) and ``analytics-v1.jsonld`` for the terms v1 does not
define (Data Cube, alerts, related works, the sources dashboard). Both are packaged files in
``contexts/``, served by every instance at ``<base_url>/contexts/<name>`` and resolved offline by
:mod:`alm_ld.jsonld`. v1 is ``@protected``, so the analytics context only *adds* terms; the few
prefixes it declares itself (``alm``, ``prov``, ``xsd``) are identical to v1's, which JSON-LD 1.1
allows for protected terms.
"""

from __future__ import annotations

from alm_ld.resources import CONTEXT_URL

ANALYTICS_CONTEXT_NAME = "analytics-v1.jsonld"
ANALYTICS_CONTEXT_URL = "https://w3id.org/alm-ld/context/" + ANALYTICS_CONTEXT_NAME


def analytics_context(base_url: str | None = None) -> list[str]:
    """The ``@context`` of an analytics document: v1 then the analytics terms, as served under
    ``base_url`` (an instance's public URL) or, without one, by their permanent w3id URLs."""
    if base_url is None:
        return [CONTEXT_URL, ANALYTICS_CONTEXT_URL]
    base = base_url.rstrip("/")
    return [f"{base}/contexts/v1.jsonld", f"{base}/contexts/{ANALYTICS_CONTEXT_NAME}"]
