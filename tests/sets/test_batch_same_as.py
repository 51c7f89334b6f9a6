"""``POST /works/batch`` follows ``owl:sameAs``: an alias of a stored work answers with that work
and names the id asked, over real HTTP."""

from __future__ import annotations

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.identifiers import parse_work_id
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import count, doi, feed, work

PMID = parse_work_id("pmid:12345").iri
ARXIV = parse_work_id("arxiv:2101.00001").iri


@pytest.fixture
def live(live_server):
    """w1 (citations 7) has the aliases pmid:12345 and arXiv:2101.00001; w2 (citations 3) is
    stored and also claimed as an alias by w1 — asked for, it answers as itself."""
    store = open_store("memory:")
    config = Settings(store="memory:")
    ingest_feed(store, feed([work(1, sameAs=["pmid:12345", "arxiv:2101.00001", doi(2)]),
                             work(2), count(1, 7, "crossref"), count(2, 3, "crossref")]),
                settings=config)
    return live_server(Settings(store="memory:"), store)


def test_aliases_answer_with_their_work_in_request_order(live) -> None:
    ids = ["PMID:12345", "10.5555/w1", "pmid:999", "doi:nonsense", "arXiv:2101.00001",
           "https://doi.org/10.5555/w2"]
    response = requests.post(live.url + "/works/batch", json={"ids": ids}, timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    results = answer["results"]
    assert [r["input"] for r in results] == ids
    assert results[0]["id"] == doi(1) and results[0]["sameAs"] == PMID
    assert results[0]["metrics"] == {"citations": 7} and results[0]["title"] == "Work 1"
    assert results[1]["id"] == doi(1) and "sameAs" not in results[1]
    assert results[2]["error"]["status"] == 404
    assert results[3]["error"]["status"] == 400
    assert results[4]["id"] == doi(1) and results[4]["sameAs"] == ARXIV
    assert results[5]["id"] == doi(2) and "sameAs" not in results[5]  # stored: itself
    assert results[5]["metrics"] == {"citations": 3}
    assert answer["meta"] == {"count": 6, "found": 4, "as_of_sequence": 1, "feeds_pending": 0}
