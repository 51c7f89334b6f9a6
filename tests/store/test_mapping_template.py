"""The ingest mapping writes Counts its own way (speed, issue 15): the triples come from
:func:`count_statements`, as in :func:`feed_statements`, but each distinct predicate-object
text is cached per feed and a Count's lines are joined at once with the subject between them.
That writer must give exactly the lines of writing every statement of :func:`feed_statements`
one by one, revisions and optional fields included, and the same keys and numbers."""

from __future__ import annotations

from alm_ld.mapping import (
    IngestContext,
    MappedFeed,
    _nt_object,
    _nt_subject,
    feed_counts,
    feed_keys,
    feed_statements,
    map_feed_ntriples,
)
from benchmarks.datagen import Dataset, feeds


def _one_by_one(doc, ctx):  # type: ignore[no-untyped-def]
    summary = MappedFeed("")
    lines = [f"{_nt_subject(s)} <{p}> {_nt_object(o)} .\n"
             for s, p, o in feed_statements(doc, ctx, summary)]
    return "".join(lines).encode("utf-8"), summary


def _feed_with_everything() -> dict:
    doc = next(feeds(Dataset(works=40, dates=2)))
    items = doc["items"][:20]
    items[0] = {**items[0], "periodStart": "2026-01-01", "evidence": "https://example.org/e?q=a b"}
    items[1] = {k: v for k, v in items[1].items() if k != "retrieved"}
    items[2] = {**items[2], "source": "https://example.org/sources/x"}
    items.append({"type": "Event", "id": "https://example.org/ev/1",
                  "subject": "https://doi.org/10.5555/bench.3", "relation": "cites",
                  "object": "https://doi.org/10.5555/bench.1", "occurred": "2026-01-02T00:00:00Z"})
    items.append({"type": "Work", "work": "https://doi.org/10.5555/bench.1", "title": 'A "t"'})
    return {**doc, "items": items}


def test_template_lines_equal_statement_lines() -> None:
    doc = _feed_with_everything()
    keys = sorted(feed_keys(doc))
    previous = {key: f"https://w3id.org/alm-ld/id/obs/{n:032x}" for n, key in enumerate(keys)
                if n % 2 == 0}
    ctx = IngestContext(sequence=3, ingested_at="2026-07-01T00:00:00Z", content_hash="h",
                        ingest_iri="https://w3id.org/alm-ld/id/ingest/t", previous=previous)
    expected, expected_summary = _one_by_one(doc, ctx)
    for counts in (None, feed_counts(doc)):
        data, summary = map_feed_ntriples(doc, ctx, counts)
        assert data == expected
        assert summary.keys == expected_summary.keys
        assert (summary.items, summary.observations, summary.events) == (
            expected_summary.items, expected_summary.observations, expected_summary.events)
    assert b"wasRevisionOf" in expected and b"periodStart" in expected
