"""In process and fast: the validator never raises, and what it calls valid maps to N-Triples
that the store's own parser (pyoxigraph) reads. The over-HTTP version of the same promise is
tests/security/test_valid_means_ingestible.py; this one can afford many more examples."""

from __future__ import annotations

import copy
import json
from typing import Any

import pyoxigraph
from hypothesis import given, settings
from hypothesis import strategies as st

from alm_ld.mapping import IngestContext, content_hash, map_feed_ntriples
from alm_ld.resources import examples_dir
from alm_ld.validate import validate_feed

STRICT = json.loads((examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))
BASE = json.loads((examples_dir() / "valid-base.json").read_text(encoding="utf-8"))

_TRICKY = st.sampled_from(list(
    "aZ09-._~!$&'()*+,;=:@/?#%[]<>\"{}|\\^` \t\n\x00\x12\x7f\x85\xa0\u2028\ud7ff\ud800\ue000"
    "\uf8ff\ufdd0\ufffd\ufffe\U0001f600\U000e0001\U000f0000ü"))
_TEXT = st.text(_TRICKY | st.characters(), max_size=16)
_VALUE = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest,
              st.sampled_from(["https://e.org/", "https://", "urn:x:", "http://[::1]/", "a:",
                               "https://e.org:80/", "", "10.1234/", "doi:10.1234/", "pmid:",
                               "https://en.wikipedia.org/wiki/"]),
              _TEXT),
    st.integers(-2, 10**20), st.none(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
)
_PATHS = [
    ("items", 0, "work"), ("items", 0, "evidence"), ("items", 0, "source"), ("items", 0, "metric"),
    ("items", 0, "value"), ("items", 0, "periodEnd"), ("items", 1, "metric"),
    ("items", 2, "id"), ("items", 2, "subject"), ("items", 2, "object"), ("items", 2, "license"),
    ("items", 2, "relation"), ("items", 2, "evidence"), ("provider", "id"), ("provider", "name"),
    ("disclosure", "dataSources"), ("id",), ("generated",),
]


def _apply(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    if isinstance(node, list) and path[-1] >= len(node):
        return
    node[path[-1]] = value


def _ctx(doc: dict[str, Any]) -> IngestContext:
    return IngestContext(sequence=1, ingested_at="2026-01-02T12:00:01Z",
                         content_hash=content_hash(doc),
                         ingest_iri="https://w3id.org/alm-ld/id/ingest/test")


@settings(max_examples=600, deadline=None)
@given(base=st.sampled_from([BASE, STRICT]), profile=st.sampled_from(["base", "strict"]),
       changes=st.lists(st.tuples(st.sampled_from(_PATHS), _VALUE), min_size=1, max_size=4))
def test_valid_feeds_map_to_ntriples_oxigraph_reads(base, profile, changes) -> None:
    doc = copy.deepcopy(base)
    for path, value in changes:
        _apply(doc, path, value)
    report = validate_feed(doc, profile)  # never raises, whatever the values
    raw = validate_feed(json.dumps(doc).encode("ascii"), profile)
    assert raw.to_dict() == report.to_dict()
    if not report.valid:
        return
    data, _ = map_feed_ntriples(doc, _ctx(doc))
    quads = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert quads
