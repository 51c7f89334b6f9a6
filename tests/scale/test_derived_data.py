"""Issue 14, item 5: derived data (a feed's alerts) lost between the feed's commit and its
alerts is recomputed when the feed is sent again, which is answered ``unchanged``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import URIRef

from alm_ld.analytics import query_alerts
from alm_ld.analytics.alerts import feed_alert_graph
from alm_ld.analytics.hooks import alerts_computed
from alm_ld.config import Settings
from alm_ld.mapping import content_hash, feed_iri
from alm_ld.pipeline import _mapped, checked_feed, ingest_feed
from alm_ld.sparql_text import iri
from alm_ld.store import open_store
from tests.analytics.feeds import count, feed
from tests.scale.conftest import alm_env

WORK = "https://doi.org/10.5555/derived.1"


def _decreasing() -> tuple[dict, dict]:
    """Two feeds; the second lowers a cumulative count, so it causes a CountDecreased alert."""
    return (feed([count(WORK, 100, "2026-05-01")]), feed([count(WORK, 60, "2026-06-01")]))


@pytest.fixture(params=["memory", "oxigraph", "sparql"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory:"
    if request.param == "oxigraph":
        return f"oxigraph:{tmp_path / 'store'}"
    return request.getfixturevalue("shared_store")


def test_dropped_alerts_come_back_on_resend(spec: str) -> None:
    settings = Settings(store=spec)
    first, second = _decreasing()
    with open_store(spec, settings=settings) as store:
        ingest_feed(store, first, settings=settings)
        assert ingest_feed(store, second, settings=settings).status == "created"
        feed_id = feed_iri(second)
        before = {a.iri for a in query_alerts(store) if feed_id in a.feeds}
        assert before and alerts_computed(store, feed_id)
        store.update(f"DROP GRAPH {iri(feed_alert_graph(feed_id))}")
        assert not any(feed_id in a.feeds for a in query_alerts(store))
        assert ingest_feed(store, second, settings=settings).status == "unchanged"
        assert {a.iri for a in query_alerts(store) if feed_id in a.feeds} == before
        assert alerts_computed(store, feed_id)
        # A feed without alerts is marked too: its re-send recomputes nothing.
        assert alerts_computed(store, feed_iri(first))


def test_a_process_stopped_after_the_commit_gets_its_alerts_on_resend(tmp_path: Path) -> None:
    """The feed is committed the way ingest commits it, and the process ends before the alerts
    (as SIGINT during the alerts of a large feed did); ``alm-ld ingest`` of the same file in a
    new process then answers ``unchanged`` and the alerts are there."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    settings = Settings(store=spec)
    first, second = _decreasing()
    path = tmp_path / "second.json"
    path.write_text(json.dumps(second), encoding="utf-8")
    with open_store(spec, settings=settings) as store:
        ingest_feed(store, first, settings=settings)
        doc = checked_feed(second, settings=settings)
        data, result, _ = _mapped(store, doc, feed_iri(doc), content_hash(doc), 2)
        store.add_graph(URIRef(result.feed_id), data)  # committed; the alerts never ran
        assert not alerts_computed(store, result.feed_id)
    run = subprocess.run([sys.executable, "-m", "alm_ld", "ingest", str(path), "--store", spec],
                         capture_output=True, timeout=120, env=alm_env())
    assert run.returncode == 0, run.stderr.decode()
    assert json.loads(run.stdout)["status"] == "unchanged"
    with open_store(spec, settings=settings) as store:
        assert alerts_computed(store, result.feed_id)
        alerts = [a for a in query_alerts(store) if result.feed_id in a.feeds]
        assert [a.type for a in alerts] == ["CountDecreased"]
