"""The pages as people use them, in headless Chromium against the live server.

search → work page with charts → related work → SPARQL editor running an example, and not one
request leaving 127.0.0.1 on the way. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    KNOWN_WORK_PATH,
    RELATED_WORK_PATH,
    external_requests,
    requested_urls,
    screenshot,
)

pytestmark = pytest.mark.browser


def _wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _assert_local(driver: Any) -> list[str]:
    urls = requested_urls(driver)
    assert urls, "the performance log recorded no requests at all"
    leaks = external_requests(urls)
    assert leaks == [], f"requests left 127.0.0.1: {leaks}"
    return urls


def _series(driver: Any, metric_id: str) -> list[tuple[str, int, int]]:
    """(source, declared points, drawn markers) of every series in one metric's chart."""
    by = _by()
    figure = driver.find_element(by.CSS_SELECTOR, f'figure[data-metric$="/{metric_id}"]')
    found = []
    for group in figure.find_elements(by.CSS_SELECTOR, "svg.chart g.series"):
        found.append((group.get_attribute("data-source"),
                      int(group.get_attribute("data-points")),
                      len(group.find_elements(by.CSS_SELECTOR, ".point"))))
    return sorted(found)


def test_work_page_draws_one_line_per_source_with_every_point(pages_server, browser):
    by = _by()
    browser.get(pages_server.url + KNOWN_WORK_PATH)
    _wait(browser, lambda d: d.find_elements(by.CSS_SELECTOR, "svg.chart"))
    assert _series(browser, "citations") == [("crossref", 3, 3), ("opencitations", 2, 2)]
    assert _series(browser, "html-views") == [("pmc", 3, 3)]
    assert _series(browser, "readers") == [("mendeley", 1, 1)]
    # Charts are really laid out (not just present in the DOM) and have an accessible name.
    chart = browser.find_element(by.CSS_SELECTOR, 'figure[data-metric$="/citations"] svg.chart')
    assert chart.size["width"] > 300 and chart.size["height"] > 100
    assert chart.get_attribute("role") == "img"
    # The revised count (15 → 16 in the second feed) is the one shown as current.
    cited = browser.find_element(by.CSS_SELECTOR, "section.category-cited")
    row = cited.find_element(by.CSS_SELECTOR, 'tr[data-source="crossref"]')
    assert "16" in row.find_element(by.CSS_SELECTOR, "td.num").text
    screenshot(browser, "work-page", full_page=True)
    # Provenance is one click away.
    details = row.find_element(by.CSS_SELECTOR, "details.provenance")
    assert not details.find_element(by.CSS_SELECTOR, "dl").is_displayed()
    details.find_element(by.TAG_NAME, "summary").click()
    assert "urn:uuid:7d4f3c1e-0000-4000-8000-000000000002" in details.text
    screenshot(browser, "work-page-provenance")
    _assert_local(browser)


def test_search_finds_a_work_by_upper_case_doi_and_related_work_is_one_click_away(
        pages_server, browser):
    by = _by()
    from selenium.webdriver.common.keys import Keys

    browser.get(pages_server.url + "/")
    box = browser.find_element(by.ID, "work-id")
    label = browser.find_element(by.CSS_SELECTOR, 'label[for="work-id"]')
    assert label.text
    box.send_keys("DOI:10.1371/JOURNAL.PONE.0000001" + Keys.ENTER)
    _wait(browser, lambda d: d.current_url.endswith(KNOWN_WORK_PATH))
    assert browser.find_element(by.TAG_NAME, "h1").text
    screenshot(browser, "search-result")
    link = browser.find_element(by.CSS_SELECTOR, f'section.related a[href="{RELATED_WORK_PATH}"]')
    reason = link.find_element(by.XPATH, "..").text
    assert "co-cited" in reason
    link.click()
    _wait(browser, lambda d: d.current_url.endswith(RELATED_WORK_PATH))
    _assert_local(browser)


def test_search_explains_a_malformed_identifier(pages_server, browser):
    by = _by()
    browser.get(pages_server.url + "/")
    browser.find_element(by.ID, "work-id").send_keys("not an id")
    browser.find_element(by.CSS_SELECTOR, "form.search-form button[type=submit]").click()
    message = _wait(browser, lambda d: d.find_elements(by.ID, "search-message"))[0]
    assert "Accepted forms" in message.text
    assert browser.find_element(by.ID, "work-id").get_attribute("value") == "not an id"
    _assert_local(browser)


def test_sparql_editor_runs_an_example_query_and_shows_rows(pages_server, browser):
    by = _by()
    browser.get(pages_server.url + "/sparql")
    _wait(browser, lambda d: d.execute_script("return !!window.almYasgui"))
    browser.find_element(by.CSS_SELECTOR, 'button.example[data-example="top-cited"]').click()
    rows = _wait(browser, lambda d: d.find_elements(by.CSS_SELECTOR, ".yasr table tbody tr")
                 if "journal.pone.0000001" in d.find_element(by.CSS_SELECTOR, ".yasr").text
                 else None)
    assert len(rows) == 2  # the two works with citations
    assert "16" in rows[0].text
    screenshot(browser, "sparql-editor")
    urls = _assert_local(browser)
    assert any(u.startswith(pages_server.url + "/sparql") for u in urls[1:]), urls


def test_work_page_opens_its_prepared_query_in_the_editor(pages_server, browser):
    by = _by()
    browser.get(pages_server.url + KNOWN_WORK_PATH)
    browser.find_element(by.ID, "open-in-sparql").click()
    _wait(browser, lambda d: d.execute_script("return !!window.almYasgui"))
    query = browser.execute_script("return window.almYasgui.getTab().getQuery()")
    assert "<https://doi.org/10.1371/journal.pone.0000001>" in query
    browser.execute_script("window.almYasgui.getTab().query()")
    rows = _wait(browser, lambda d: d.find_elements(by.CSS_SELECTOR, ".yasr table tbody tr"))
    assert len(rows) >= 9  # every current observation of the work
    _assert_local(browser)


def test_keyboard_users_can_skip_to_the_content(pages_server, browser):
    by = _by()
    from selenium.webdriver.common.keys import Keys

    browser.get(pages_server.url + KNOWN_WORK_PATH)
    browser.find_element(by.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    assert focused.is_displayed()
    focused.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
    _assert_local(browser)


def test_pages_fit_a_phone_screen(pages_server, browser):
    browser.set_window_size(390, 844)
    try:
        browser.get(pages_server.url + KNOWN_WORK_PATH)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways on a phone ({width}px wide)"
        screenshot(browser, "work-page-phone")
    finally:
        browser.set_window_size(1280, 1600)
    _assert_local(browser)


def test_keyboard_focus_can_leave_the_sparql_editor(pages_server, browser):
    by = _by()
    from selenium.webdriver.common.keys import Keys

    browser.get(pages_server.url + "/sparql")
    _wait(browser, lambda d: d.execute_script("return !!window.almYasgui"))
    browser.find_element(by.CSS_SELECTOR, ".CodeMirror").click()
    editor_input = browser.switch_to.active_element
    assert editor_input.tag_name == "textarea"  # CodeMirror's hidden input has the focus
    before = browser.execute_script("return window.almYasgui.getTab().getQuery()")
    editor_input.send_keys(Keys.TAB)
    assert browser.switch_to.active_element != editor_input
    assert browser.execute_script("return window.almYasgui.getTab().getQuery()") == before
    _assert_local(browser)
