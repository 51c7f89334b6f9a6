"""Providers by name: the one place that knows which harvesters exist.

Like rdflib's plugin registry, callers ask for a name (``crossref``) and get a class; an unknown
name is a usage error listing the known ones.
"""

from __future__ import annotations

from alm_ld.errors import UsageError
from alm_ld.harvest.base import Harvester
from alm_ld.harvest.providers.crossref import CrossrefHarvester
from alm_ld.harvest.providers.crossref_events import CrossrefEventsHarvester
from alm_ld.harvest.providers.datacite import DataCiteHarvester
from alm_ld.harvest.providers.europepmc import EuropePmcHarvester
from alm_ld.harvest.providers.openalex import OpenAlexHarvester
from alm_ld.harvest.providers.opencitations import OpenCitationsHarvester
from alm_ld.harvest.providers.plos import PlosHarvester
from alm_ld.harvest.providers.wikipedia import WikipediaHarvester

PROVIDERS: dict[str, type[Harvester]] = {
    cls.name: cls
    for cls in (CrossrefHarvester, OpenAlexHarvester, EuropePmcHarvester,
                OpenCitationsHarvester, DataCiteHarvester, WikipediaHarvester, PlosHarvester,
                CrossrefEventsHarvester)
}


def provider_class(name: str) -> type[Harvester]:
    """The harvester registered as ``name`` (case-insensitive)."""
    try:
        return PROVIDERS[name.strip().lower()]
    except KeyError:
        raise UsageError(
            f"Unknown provider {name!r}; known providers: {', '.join(sorted(PROVIDERS))}.",
            value=name, known=sorted(PROVIDERS))
