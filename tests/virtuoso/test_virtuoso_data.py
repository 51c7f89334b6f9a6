"""Issue 14 item 2 on a real Virtuoso 7: the write and read paths that it used to refuse or get
wrong — the demo (blank nodes, the vocabulary graph of 1,700+ triples), a feed with a NISO
disclosure, a feed of 250 counts (above ``ALM_LD_UPDATE_CHUNK``: staged and published whole),
``alm-ld dump`` (its TSV crashed the dump), and the dataset alm-ld shows (Virtuoso's system
graphs leaked into ``COUNT(*)`` and ``GRAPH ?g``).
"""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from alm_ld.cli import main
from alm_ld.config import Settings
from alm_ld.errors import MalformedQuery, StoreError, StoreUnavailable
from alm_ld.mapping import feed_iri
from alm_ld.pipeline import feeds_by_sequence, ingest_feed
from alm_ld.resources import demo_dir
from alm_ld.sparql_text import iri, prefixes
from alm_ld.store import open_store
from alm_ld.store.sparql import STAGING_LIST, STAGING_PREFIX, SparqlStore
from alm_ld.vocab import DISCLOSURE_KEYS, VOCAB_GRAPH
from tests.store.feedgen import synthetic_feed

NO_BLANK = "ASK { GRAPH ?g { ?s ?p ?o } FILTER (isBlank(?s) || isBlank(?o)) }"


def _our_graphs(store: SparqlStore) -> set[str]:
    return {str(row["g"]) for row in store.query(
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").rows}


def test_demo_disclosure_and_a_large_feed_are_stored_whole(shared_store: str,
                                                            capsys: pytest.CaptureFixture) -> None:
    settings = Settings(store=shared_store, update_chunk=300)
    docs = [path.read_bytes() for path in sorted(demo_dir().glob("*.json"))]
    big = synthetic_feed(250, seed=11)
    with open_store(shared_store, settings=settings) as store:
        assert isinstance(store, SparqlStore) and store.update_chunk == 300
        results = [ingest_feed(store, doc, settings=settings) for doc in docs]
        assert [r.status for r in results] == ["created"] * len(docs)
        large = ingest_feed(store, big, settings=settings)
        assert large.status == "created" and large.items == 250
        again = [ingest_feed(store, doc, settings=settings).status for doc in [*docs, big]]
        assert again == ["unchanged"] * (len(docs) + 1)
        assert sorted(feeds_by_sequence(store)) == list(range(1, len(docs) + 2))

        # Nothing written is a blank node; no staging graph is left behind.
        assert store.query_whole(NO_BLANK).boolean is False
        assert not any(g.startswith(STAGING_PREFIX) for g in store._engine_graphs())

        # The vocabulary graph (1,700+ triples, above the chunk size) is there whole.
        size = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri(str(VOCAB_GRAPH))} "
                           "{ ?s ?p ?o } }").rows[0]["n"]
        assert int(size) > 1700

        # The large feed: every count stored (250 items, 225 counts, 25 events).
        counts = store.query(prefixes("alm") + f"""
SELECT (COUNT(DISTINCT ?obs) AS ?n) WHERE {{ GRAPH {iri(feed_iri(big))} {{ ?obs alm:work ?w ;
  alm:value ?v }} }}""").rows[0]["n"]
        assert int(counts) == 225

        # The disclosure of the PLOS demo feed, every field, on a skolem IRI.
        plos = next(r.feed_id for r, doc in zip(results, docs, strict=True) if b"plos" in doc)
        rows = store.query(prefixes("alm") + f"""
SELECT ?d ?p ?v WHERE {{ GRAPH {iri(plos)} {{ {iri(plos)} alm:disclosure ?d . ?d ?p ?v }} }}
""").rows
        assert {str(row["d"]) for row in rows} == {f"https://w3id.org/alm-ld/id/disclosure/"
                                                   f"{__import__('hashlib').sha256(plos.encode()).hexdigest()[:32]}"}
        assert len(rows) == len(DISCLOSURE_KEYS)

        # Only alm-ld's graphs: COUNT(*) and GRAPH ?g never show Virtuoso's system graphs.
        graphs = _our_graphs(store)
        engine = store._engine_graphs()
        assert engine - graphs and all("openlinksw" not in g for g in graphs)
        assert graphs == {str(VOCAB_GRAPH), *(r.feed_id for r in results), feed_iri(big),
                          *(g for g in graphs if g.startswith("https://w3id.org/alm-ld/id/"))}
        total = int(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"])
        quads = int(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
                    .rows[0]["n"])
        assert total <= quads
        assert store.query("ASK { ?s ?p <http://www.openlinksw.com/schemas/virtrdf#QuadMap> }"
                           ).boolean is False

        # alm-ld dump: every quad of alm-ld's graphs, as N-Quads that parse.
        assert main(["dump", "--store", shared_store]) == 0
        out = capsys.readouterr().out.encode()
        dumped = list(ox.parse(io.BytesIO(out), format=ox.RdfFormat.N_QUADS))
        assert len(dumped) == quads
        assert {q.graph_name.value for q in dumped} == graphs
        assert all(not isinstance(t, ox.BlankNode) for q in dumped
                   for t in (q.subject, q.object))


def test_engine_refusals_of_valid_sparql_are_502_503_not_malformed(shared_store: str) -> None:
    """What Virtuoso refuses although it is valid SPARQL is the engine's fault: 502
    ``store-error`` / 503 (exit 4), the query not echoed back; a really malformed query stays
    400 ``malformed-query``."""
    with open_store(shared_store) as store:
        with pytest.raises(MalformedQuery):
            store.query("SELECT ?x WHERE { ?x ?y }")
        # Virtuoso 7 answers 400 to blank nodes in INSERT DATA (alm-ld itself never sends any).
        with pytest.raises(StoreError) as refused:
            store.update("INSERT DATA { GRAPH <http://e/g> { _:b <http://e/p> 1 } }")
        assert refused.value.status == 502 and refused.value.exit_code == 4
        assert "INSERT" not in refused.value.detail and "http://e/g" not in refused.value.detail
        # A path with both ends open is valid SPARQL 1.1; Virtuoso fails it (its SP031).
        query = "SELECT ?x WHERE { ?x <http://e/p>+ ?y } LIMIT 1"
        with pytest.raises(StoreUnavailable) as failed:
            store.query(query)
        assert failed.value.status in (502, 503) and failed.value.exit_code == 4
        assert "<http://e/p>" not in failed.value.detail


def test_a_load_larger_than_the_chunk_is_staged_and_published_whole(shared_store: str) -> None:
    """``alm-ld load`` of 150 quads in two graphs (one a blank node) with a 40-triple chunk:
    staged as rows, published by one update; every quad lands, skolemised, and the loaded
    graphs are part of the dataset although they are no feeds."""
    lines = [f'<http://example.org/s{n}> <http://example.org/p> "{n}" '
             f'<http://example.org/g{n % 2}> .' for n in range(149)]
    lines.append('_:b <http://example.org/p> "blank" <http://example.org/g0> .')
    with open_store(shared_store, settings=Settings(update_chunk=40)) as store:
        # A staging graph a writer left an hour ago (it died mid-upload): swept by this write.
        left = iri(STAGING_PREFIX + "left-behind")
        store.update(f"INSERT DATA {{ GRAPH {left} {{ <http://e/x> <http://e/p> 1 }} }} ;\n"
                     f"INSERT DATA {{ GRAPH {iri(STAGING_LIST)} {{ {left} "
                     f"<{STAGING_PREFIX}startedAt> "
                     '"2000-01-01T00:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> } }')
        store.load_dump(io.BytesIO("\n".join(lines).encode()), "nquads")
        rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s "
                           "<http://example.org/p> ?o } } GROUP BY ?g ORDER BY ?g").rows
        assert [(str(r["g"]), int(r["n"])) for r in rows] == [
            ("http://example.org/g0", 76), ("http://example.org/g1", 74)]
        assert store.query_whole(NO_BLANK).boolean is False
        assert not any(g.startswith(STAGING_PREFIX) for g in store._engine_graphs())
        assert store.query_whole(f"ASK {{ GRAPH {iri(STAGING_LIST)} {{ ?s ?p ?o }} }}"
                                 ).boolean is False
