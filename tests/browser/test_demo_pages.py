"""The pages over the shipped demo data (what `make run` serves): every work page renders, with
one chart per metric, and the busiest one renders offline in Chromium (screenshot saved)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.resources import demo_dir
from alm_ld.web.pages.links import work_path
from tests.browser.conftest import (
    PagesServer,
    external_requests,
    ingest_files,
    requested_urls,
    screenshot,
    serving_pages,
)
from tests.browser.test_pages_http import fetch, outline


@pytest.fixture(scope="module")
def demo_server() -> Iterator[PagesServer]:
    def fill(store: Any, settings: Settings) -> None:
        ingest_files(store, settings, sorted(demo_dir().glob("*.json")))

    with serving_pages(fill) as served:
        yield served


def _works_by_metrics(store: Any) -> list[tuple[str, int]]:
    rows = store.query("""SELECT ?w (COUNT(DISTINCT ?m) AS ?n) WHERE {
        ?o <https://w3id.org/alm-ld/vocab#work> ?w ; <https://w3id.org/alm-ld/vocab#metric> ?m }
        GROUP BY ?w ORDER BY DESC(?n) ?w""").rows
    return [(str(r["w"]), int(r["n"])) for r in rows]


def test_every_demo_work_page_renders_a_chart_per_metric(demo_server):
    works = _works_by_metrics(demo_server.store)
    assert works, "the demo data holds no observations"
    for work, metrics in works:
        status, _, body = fetch(demo_server.url + work_path(work))
        assert status == 200, (work, body[:300])
        charts = [a for t, a in outline(body).tags if t == "svg" and "chart" in a.get("class", "")]
        assert len(charts) == metrics, work


def test_busiest_demo_work_renders_offline_in_chromium(demo_server, browser):
    from selenium.webdriver.common.by import By

    work, metrics = _works_by_metrics(demo_server.store)[0]
    requested_urls(browser)  # drop what earlier tests left in the log
    browser.get(demo_server.url + work_path(work))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == metrics
    screenshot(browser, "demo-work-page")
    urls = requested_urls(browser)
    assert urls and external_requests(urls) == []
