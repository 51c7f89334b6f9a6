"""Fixtures for the set tests: a small store of generated feeds whose answers are computed by
hand, served over real HTTP (the web tests' ``live_server``)."""

from __future__ import annotations

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.support.set_feeds import (  # noqa: F401  (the set tests import them from here)
    BROWN,
    CARBERRY,
    HARVARD,
    NSF,
    PLOS_ONE,
    count,
    doi,
    feed,
    work,
)
from tests.web.conftest import Live, live_server  # noqa: F401  (fixture re-exported)

SET_FEEDS = [
    feed([work(1, issued="2019-05-01", container={"title": "PLOS ONE", "issn": [PLOS_ONE]},
               authors=[{"name": "J. Carberry", "orcid": CARBERRY,
                         "affiliations": [{"ror": HARVARD, "name": "Harvard University"}]}],
               funders=[{"id": NSF, "name": "National Science Foundation"}]),
          work(2, issued="2020", container={"title": "PLOS ONE", "issn": [PLOS_ONE]},
               authors=[{"name": "K", "affiliations": [{"ror": HARVARD}]}]),
          work(3, issued="2020", authors=[{"name": "L", "affiliations": [{"ror": BROWN}]}])]),
    feed([count(1, 10, "crossref"), count(1, 100, "plos", metric="views"),
          count(2, 6, "crossref"), count(3, 50, "crossref")]),
    feed([count(1, 14, "openalex")]),
]
"""Harvard: w1 (2019; citations crossref 10 / openalex 14 → 14; views 100) and w2 (2020;
citations 6): 2 works, citations 14 + 6 = 20, views 100. Brown: w3 only. PLOS ONE: w1, w2.
Carberry and NSF: w1 only."""


@pytest.fixture(scope="module")
def set_store():
    store = open_store("memory:")
    config = Settings(store="memory:")
    for one in SET_FEEDS:
        ingest_feed(store, one, settings=config)
    return store


@pytest.fixture
def served(live_server, set_store) -> Live:  # noqa: F811
    return live_server(Settings(store="memory:"), set_store)
