"""The Content-Security-Policy the pages are served with breaks nothing, as Chromium sees it.

Every page is loaded in Chromium with the real headers (alm_ld.web.security_headers); the
SPARQL editor also runs an example query so YASGUI/CodeMirror draw the editor and a results
table. Chromium reports every blocked script, style, image or connection on the console
("Refused to … because it violates the following Content Security Policy directive"), which
the ``browser`` fixture records; not one such message may appear. A control injects an inline
style attribute first, to prove that a violation *would* be seen in the log.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import KNOWN_WORK_PATH, external_requests, requested_urls

pytestmark = pytest.mark.browser


def _wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _csp_messages(driver: Any) -> list[str]:
    """Console messages about the CSP since the last call (drains the browser log)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if "content security policy" in entry["message"].lower()]


def test_a_csp_violation_shows_up_in_the_browser_log(pages_server, browser):
    browser.get(pages_server.url + "/")
    _csp_messages(browser)
    browser.execute_script(
        "document.getElementById('main').setAttribute('style', 'outline: 9px solid red')")
    messages = _wait(browser, lambda d: _csp_messages(d), timeout=10)
    assert any("style-src" in m for m in messages), messages
    # …and the inline style really was refused.
    width = browser.execute_script(
        "return getComputedStyle(document.getElementById('main')).outlineWidth")
    assert width != "9px"


@pytest.mark.parametrize("path", ["/", KNOWN_WORK_PATH, "/sources", "/vocab",
                                  "/search?id=doi:10.1/not-there"])
def test_pages_cause_no_csp_violation(pages_server, browser, path):
    from selenium.webdriver.common.by import By

    browser.get("about:blank")
    _csp_messages(browser)
    requested_urls(browser)
    browser.get(pages_server.url + path)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    for details in browser.find_elements(By.CSS_SELECTOR, "details")[:5]:
        if details.is_displayed():
            details.find_element(By.TAG_NAME, "summary").click()
    assert _csp_messages(browser) == []
    assert external_requests(requested_urls(browser)) == []


def test_sparql_editor_runs_a_query_without_csp_violations(pages_server, browser):
    from selenium.webdriver.common.by import By

    browser.get("about:blank")
    _csp_messages(browser)
    browser.get(pages_server.url + "/sparql")
    _wait(browser, lambda d: d.execute_script("return !!window.almYasgui"))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror"))
    browser.find_element(By.CSS_SELECTOR, 'button.example[data-example="top-cited"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr"))
    from selenium.webdriver.common.action_chains import ActionChains

    # Dragging a column edge: YASGUI's column resizer injects its second fixed stylesheet.
    grip = browser.find_element(By.CSS_SELECTOR, ".grip-handle .grip-resizable")
    ActionChains(browser).click_and_hold(grip).move_by_offset(40, 0).release().perform()
    # Typing in the editor exercises CodeMirror's measuring and its autocompletion widgets.

    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.CSS_SELECTOR, ".CodeMirror-lines").click()
    # To the end of the text first: where a click lands depends on the example's length.
    ActionChains(browser).key_down(Keys.CONTROL).send_keys(Keys.END).key_up(Keys.CONTROL) \
        .send_keys("\nPREFIX ").perform()
    _wait(browser, lambda d: "PREFIX \n" in d.execute_script(
        "return window.almYasgui.getTab().getQuery() + '\\n'"))
    assert _csp_messages(browser) == []
    assert external_requests(requested_urls(browser)) == []
