"""No public SPARQL query makes the server fetch a URL (issue 12, item 1).

Two layers, each tested on its own so that neither hides a hole in the other:

1. the check in front of the store: every trick in :data:`TRICKS` (escapes in local names, ``#``
   in IRIs and in all four string forms, ``\\u`` escapes, case, comments, nesting, ``SERVICE
   SILENT``, ``SERVICE ?var``) is sent to the lexical quick path (which must decline it) and to
   the full parse (which must refuse it), then over HTTP to the real served process, with a
   canary listener that fails the test on any connection;
2. the structure behind it: a ``SERVICE`` query handed straight to the query worker pool (no
   check at all) still reaches nobody, because the worker process has no network (seccomp).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest

from alm_ld.errors import AlmLdError, MalformedQuery, QueryRefused
from alm_ld.store.oxigraph import OxigraphStore
from alm_ld.store.query_pool import QueryPool
from alm_ld.web.sparql_check import analyse_query, quick_analysis
from tests.security.conftest import Canary, Served

JSON = "application/sparql-results+json"
BODY = "{ ?a ?b ?c }"

# Each trick is a function of the canary URL returning a query that, evaluated naively, fetches it.
TRICKS: dict[str, Callable[[str], str]] = {
    "plain": lambda u: f"SELECT * WHERE {{ SERVICE <{u}> {BODY} }}",
    "issue exploit: escaped # in a local name": lambda u: (
        f"PREFIX ex: <http://e/> SELECT * WHERE {{ BIND(ex:a\\#b AS ?q) SERVICE <{u}> {BODY} }}"),
    "# in an IRI": lambda u: (
        f"SELECT * WHERE {{ BIND(<http://x/#f> AS ?q) SERVICE <{u}> {BODY} }}"),
    "# in a double-quoted string": lambda u: (
        f'SELECT * WHERE {{ BIND("#" AS ?q) SERVICE <{u}> {BODY} }}'),
    "# in a single-quoted string": lambda u: (
        f"SELECT * WHERE {{ BIND('#' AS ?q) SERVICE <{u}> {BODY} }}"),
    "# in a long double-quoted string": lambda u: (
        f'SELECT * WHERE {{ BIND("""a\n#b""" AS ?q) SERVICE <{u}> {BODY} }}'),
    "# in a long single-quoted string": lambda u: (
        f"SELECT * WHERE {{ BIND('''a\n#b''' AS ?q) SERVICE <{u}> {BODY} }}"),
    "escaped quote before #": lambda u: (
        f'SELECT * WHERE {{ BIND("a\\"#" AS ?q) SERVICE <{u}> {BODY} }}'),
    "lower case": lambda u: f"select * where {{ service <{u}> {BODY} }}",
    "mixed case": lambda u: f"SeLeCt * WhErE {{ sErViCe <{u}> {BODY} }}",
    "\\u escape in the keyword": lambda u: f"SELECT * WHERE {{ \\u0053ERVICE <{u}> {BODY} }}",
    "\\U escape in the keyword": lambda u: (
        f"SELECT * WHERE {{ \\U00000053ERVICE <{u}> {BODY} }}"),
    "\\u escape in the IRI": lambda u: (
        "SELECT * WHERE { SERVICE <" + u.replace("canary", "\\u0063anary") + "> " + BODY + " }"),
    "comment line before": lambda u: f"SELECT * WHERE {{ # hello\nSERVICE <{u}> {BODY} }}",
    "comment ended by CR": lambda u: f"SELECT * WHERE {{ # hello\rSERVICE <{u}> {BODY} }}",
    "keyword split by a comment": lambda u: (
        f"SELECT * WHERE {{ SERVICE#x\n<{u}> {BODY} }}"),
    "prefixed name as endpoint": lambda u: (
        f"PREFIX c: <{u.rsplit('/', 1)[0]}/> SELECT * WHERE {{ SERVICE c:canary {BODY} }}"),
    "BASE-relative endpoint": lambda u: (
        f"BASE <{u}> SELECT * WHERE {{ SERVICE <> {BODY} }}"),
    "SERVICE SILENT": lambda u: f"SELECT * WHERE {{ SERVICE SILENT <{u}> {BODY} }}",
    "SERVICE ?var": lambda u: (
        f"SELECT * WHERE {{ VALUES ?e {{ <{u}> }} SERVICE ?e {BODY} }}"),
    "in OPTIONAL": lambda u: (
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{u}> {BODY} }} }} LIMIT 1"),
    "in FILTER EXISTS": lambda u: (
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{u}> {BODY} }} }} LIMIT 1"),
    "in FILTER NOT EXISTS": lambda u: (
        f"SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE <{u}> {BODY} }} }} LIMIT 1"),
    "in MINUS": lambda u: f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{u}> {BODY} }} }}",
    "in UNION": lambda u: f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{u}> {BODY} }} }}",
    "in a subquery": lambda u: (
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{u}> {BODY} }} }} }}"),
    "in GRAPH": lambda u: f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{u}> {BODY} }} }}",
    "ASK": lambda u: f"ASK {{ SERVICE <{u}> {BODY} }}",
    "CONSTRUCT": lambda u: f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE <{u}> {BODY} }}",
    "DESCRIBE": lambda u: f"DESCRIBE ?a WHERE {{ SERVICE <{u}> {BODY} }}",
    "nested SERVICE": lambda u: (
        f"SELECT * WHERE {{ SERVICE <{u}> {{ SERVICE <{u}> {BODY} }} }}"),
    # Oxigraph reads a keyword with no word boundary on either side: these all parse there.
    "keyword glued to the endpoint name": lambda u: (
        f"PREFIX c: <{u.rsplit('/', 1)[0]}/> SELECT * WHERE {{ ?s ?p ?o SERVICEc:canary {BODY} }}"),
    "keyword glued to SILENT": lambda u: f"SELECT * WHERE {{ ?s ?p ?o SERVICESILENT<{u}> {BODY} }}",
    "keyword glued after a number": lambda u: (
        f"SELECT * WHERE {{ ?s ?p 1SERVICE <{u}> {BODY} }}"),
    "keyword glued after a dot": lambda u: f"SELECT * WHERE {{ ?s ?p ?o.SERVICE <{u}> {BODY} }}",
}
IDS = list(TRICKS)

# Queries that use the same characters innocently: the quick path may take them or decline
# them, but the full parse must accept them (a check that refuses everything is no check).
INNOCENT = [
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1/x> { ?a ?b ?c }" } LIMIT 1',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1/x> { ?a ?b ?c }\nLIMIT 1",
    "PREFIX ex: <http://e/> SELECT * WHERE { BIND(ex:a\\#b AS ?q) } LIMIT 1",
    "SELECT * WHERE { BIND(<http://x/service#from> AS ?q) }",
]


@pytest.mark.parametrize("name", IDS)
def test_quick_path_declines_every_trick(name: str) -> None:
    assert quick_analysis(TRICKS[name]("http://127.0.0.1:9/canary")) is None


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("full", [False, True])
def test_full_parse_refuses_every_trick(name: str, full: bool) -> None:
    with pytest.raises((QueryRefused, MalformedQuery)):
        analyse_query(TRICKS[name]("http://127.0.0.1:9/canary"), full=full)


@pytest.mark.parametrize("query", INNOCENT)
def test_innocent_lookalikes_are_accepted(query: str) -> None:
    assert analyse_query(query, full=True).form == "SELECT"
    assert analyse_query(query).form == "SELECT"


@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize("name", IDS)
def test_no_trick_reaches_the_canary_over_http(served: Served, canary: Canary, name: str,
                                               method: str) -> None:
    query = TRICKS[name](canary.url)
    if method == "GET":
        response = served.get("/sparql", params={"query": query}, headers={"Accept": JSON})
    elif method == "POST-form":
        response = served.post("/sparql", data={"query": query}, headers={"Accept": JSON})
    else:
        response = served.post("/sparql", data=query.encode(), headers={
            "Accept": JSON, "Content-Type": "application/sparql-query"})
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert "oxigraph" not in response.text.lower()
    canary.assert_untouched()


# -- the structure: no network in the worker, whatever the check says -----------------------


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueryPool]:
    store = OxigraphStore(str(tmp_path_factory.mktemp("pool") / "store"))
    running = QueryPool(store.checkpoint, size=1, prune=store.prune_checkpoints)
    try:
        yield running
    finally:
        running.close()
        store.close()


def test_worker_pool_is_sandboxed_on_this_machine(pool: QueryPool) -> None:
    pool.query_serialized("ASK {}", JSON, timeout=30)
    assert pool.sandbox_status is None, f"workers run without the sandbox: {pool.sandbox_status}"


@pytest.mark.parametrize("name", ["plain", "SERVICE SILENT", "SERVICE ?var", "in OPTIONAL",
                                  "issue exploit: escaped # in a local name"])
def test_service_sent_straight_to_a_worker_reaches_nobody(pool: QueryPool, canary: Canary,
                                                          name: str) -> None:
    """No check in front: the engine tries to fetch, the sandbox leaves it no socket."""
    try:
        media, payload = pool.query_serialized(TRICKS[name](canary.url), JSON, timeout=30)
    except AlmLdError:
        pass  # SERVICE without SILENT fails: the engine could not connect
    else:  # SILENT: the failed call is an empty solution
        assert media.startswith(JSON)
    canary.assert_untouched()
    pool.query_serialized("ASK {}", JSON, timeout=30)  # the worker is still usable


def test_sandboxed_process_has_no_network_but_unix_sockets(canary: Canary) -> None:
    script = textwrap.dedent(f"""
        import socket, urllib.request
        from alm_ld.store.sandbox import install
        assert install() is None
        a, b = socket.socketpair()
        a.sendall(b"unix ok"); print(b.recv(16).decode())
        for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
            try:
                socket.socket(family, socket.SOCK_RAW if family == socket.AF_PACKET else
                              socket.SOCK_DGRAM if family == socket.AF_NETLINK else
                              socket.SOCK_STREAM)
            except PermissionError:
                print("refused", family.name)
        try:
            urllib.request.urlopen({canary.url!r}, timeout=3)
        except OSError as error:
            print("fetch failed", type(error).__name__)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "unix ok"
    assert {"refused AF_INET", "refused AF_INET6", "refused AF_NETLINK",
            "refused AF_PACKET"} <= set(lines)
    assert any(line.startswith("fetch failed") for line in lines)
    canary.assert_untouched()
