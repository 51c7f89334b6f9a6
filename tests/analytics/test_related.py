"""GET /works/<id>/related on a hand-computable co-citation / co-mention example.

Subjects S(x) (citing works and mentioning pages):

    C1 cites A, B, D      C2 cites A, B      C3 cites A, E
    wiki W1 references A and D               wiki W2 references B

    S(A) = {C1, C2, C3, W1}   S(B) = {C1, C2, W2}   S(D) = {C1, W1}   S(E) = {C3}

Jaccard with A:  D = |{C1, W1}| / |{C1, C2, C3, W1}|       = 2/4 = 0.5
                 B = |{C1, C2}| / |{C1, C2, C3, W1, W2}|   = 2/5 = 0.4
                 E = |{C3}|     / |{C1, C2, C3, W1}|       = 1/4 = 0.25
"""

from __future__ import annotations

from alm_ld.analytics import related_works
from tests.analytics.feeds import event, feed

A, B, D, E = (f"https://doi.org/10.5555/rel.{x}" for x in "abde")
C1, C2, C3 = (f"https://doi.org/10.5555/citing.{n}" for n in (1, 2, 3))
W1, W2 = "https://en.wikipedia.org/wiki/One", "https://en.wikipedia.org/wiki/Two"


def _seed(ingest):
    cites = [(C1, A), (C1, B), (C1, D), (C2, A), (C2, B), (C3, A), (C3, E)]
    ingest(feed([event(s, "cites", o, source="crossref") for s, o in cites]),
           feed([event(W1, "references", A), event(W1, "references", D),
                 event(W2, "references", B)]))


def test_ranked_by_jaccard_with_evidence(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    response = live.get("/works/10.5555/rel.a/related")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    doc = response.get_json()
    assert doc["work"] == A and doc["subjectCount"] == 4
    ranked = [(r["work"], r["score"], r["coCitations"], r["coMentions"]) for r in doc["related"]]
    assert ranked == [(D, 0.5, 1, 1), (B, 0.4, 2, 0), (E, 0.25, 1, 0)]
    evidence_d = {e["subject"]: e["relation"] for e in doc["related"][0]["shared"]}
    assert evidence_d == {C1: ["cites"], W1: ["references"]}
    assert doc["related"][0]["reason"] == "co-cited by 1 work; co-mentioned by 1 subject"


def test_limit_and_symmetry(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    top = live.get(f"/works/{A}/related", params={"limit": 1}).get_json()
    assert [r["work"] for r in top["related"]] == [D]
    # Jaccard is symmetric: A is as related to D as D is to A
    from_d = {r.work: r.score for r in related_works(store, D)}
    assert from_d[A] == 0.5


def test_work_without_subjects_has_no_related(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    doc = live.get(f"/works/{C1}/related").get_json()
    assert doc["related"] == [] and doc["subjectCount"] == 0
    assert live.get("/works/10.5555/unknown/related").status_code == 404
    assert live.get(f"/works/{A}/related", params={"limit": "x"}).status_code == 400
