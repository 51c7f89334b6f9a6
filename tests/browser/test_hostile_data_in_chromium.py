"""Hostile stored values in a real browser: nothing runs, nothing dangerous can be clicked.

The server holds the page fixtures plus a feed whose event subject, licence and evidence are
``javascript:``/``vbscript:``/``data:`` URLs and whose provider name and the work's title are
markup. Chromium loads the work page, the sources page and the SPARQL editor showing those
values in a results table; every link the browser resolved (``a.protocol``, after its own URL
parsing) is http/https, no alert ever opens, and the hostile text is visible as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from tests.browser.conftest import PagesServer, ingest_fixtures, serving_pages

pytestmark = pytest.mark.browser

WORK = "https://doi.org/10.5555/hostile"
WORK_PATH = "/works/10.5555/hostile"
MARKUP = '"><img src=x onerror="document.title=\'pwned\'">'


def _hostile_feed() -> dict[str, Any]:
    def event(n: int, **fields: str) -> dict[str, Any]:
        return {"type": "Event", "id": f"https://example.org/hostile/{n}",
                "subject": "https://example.org/page", "relation": "references",
                "object": WORK, "occurred": f"2026-03-0{n}T00:00:00Z", "source": "wikipedia",
                **fields}

    return {
        "@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
        "id": "urn:uuid:0b5e55ed-0000-4000-8000-00000000bad1",
        "provider": {"id": "https://example.org/hostile-provider", "name": MARKUP},
        "generated": "2026-03-10T00:00:00Z",
        "disclosure": {"dataSources": MARKUP, "metricDefinitions": "javascript:alert(1)"},
        "items": [
            {"type": "Work", "id": WORK, "title": "<script>alert(1)</script>Hostile"},
            event(1, subject="javascript:alert(1)", license="JaVaScRiPt:alert(1)",
                  evidence="vbscript:msgbox(1)"),
            event(2, subject="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            {"type": "Count", "work": WORK, "metric": "citations", "value": 3,
             "aggregation": "cumulative", "periodEnd": "2026-03-01", "source": "crossref",
             "evidence": "javascript:alert(2)"},
        ],
    }


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[PagesServer]:
    def fill(store: Any, settings: Settings) -> None:
        ingest_fixtures(store, settings)
        ingest_feed(store, _hostile_feed(), settings=settings)

    with serving_pages(fill) as served:
        yield served


LINK_PROTOCOLS = "return [...document.querySelectorAll('a[href], area[href]')].map(a => a.protocol)"


def _no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"an alert opened: {text!r}")


def _check_page(driver: Any) -> str:
    protocols = set(driver.execute_script(LINK_PROTOCOLS))
    assert protocols <= {"http:", "https:"}, protocols
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    assert driver.title != "pwned"
    _no_alert(driver)
    return driver.find_element("css selector", "main").text


def test_work_page_shows_hostile_values_as_text(hostile_server, browser):
    from selenium.webdriver.common.by import By

    browser.get(hostile_server.url + WORK_PATH)
    for summary in browser.find_elements(By.CSS_SELECTOR, "details > summary"):
        if summary.is_displayed():
            summary.click()
    text = _check_page(browser)
    assert "javascript:alert(1)" in text and "vbscript:msgbox(1)" in text
    assert "<script>alert(1)</script>Hostile" in text  # the title, as text
    assert browser.find_elements(By.CSS_SELECTOR, ".unlinked")


def test_sources_page_shows_hostile_provider_as_text(hostile_server, browser):
    browser.get(hostile_server.url + "/sources")
    text = _check_page(browser)
    assert MARKUP in text


def test_sparql_results_do_not_link_hostile_iris(hostile_server, browser):
    from selenium.webdriver.common.by import By

    browser.get(hostile_server.url + "/sparql")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return !!window.almYasgui"))
    browser.execute_script(
        "var t = window.almYasgui.getTab(); t.setQuery(arguments[0]); t.query();",
        "PREFIX alm: <https://w3id.org/alm-ld/vocab#> SELECT ?subject ?license WHERE "
        f"{{ ?e alm:object <{WORK}> ; alm:subject ?subject "
        "OPTIONAL { ?e <http://purl.org/dc/terms/license> ?license } }")
    rows = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr"))
    assert len(rows) == 2
    assert "javascript:alert(1)" in browser.find_element(By.CSS_SELECTOR, ".yasr").text
    _check_page(browser)
