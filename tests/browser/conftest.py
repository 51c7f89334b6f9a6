"""Fixtures for the page tests: a live server with known data, and headless Chromium.

``pages_server`` serves a fresh ``memory:`` store holding the two feeds in
``tests/fixtures/pages`` (see its README for the known work and its numbers) over real HTTP on a
free 127.0.0.1 port. ``browser`` is Debian's Chromium driven by Debian's chromedriver through
Selenium (``Service(executable_path=…)``, so Selenium Manager downloads nothing), headless, with
a fresh profile and background networking off; every request it makes is logged (Chrome
performance log) so tests can assert that nothing left 127.0.0.1. Chromium is installed by
``make browser`` (a prerequisite of ``make test``); without it the browser tests skip and say so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from alm_ld.web import create_app
from tests.support.server import ThreadedServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
KNOWN_WORK = "https://doi.org/10.1371/journal.pone.0000001"
KNOWN_WORK_PATH = "/works/10.1371/journal.pone.0000001"
RELATED_WORK_PATH = "/works/10.1371/journal.pone.0000002"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)
LOCAL_HOSTS = {"127.0.0.1"}
# Browser-internal schemes (never the network); chrome-untrusted://new-tab-page is what newer
# Chromium opens as its first tab.
LOCAL_SCHEMES = {"data", "about", "blob", "chrome", "chrome-extension", "chrome-untrusted",
                 "devtools"}


@dataclass
class PagesServer:
    url: str
    store: Any
    settings: Settings


def ingest_files(store: Any, settings: Settings, paths: Iterable[Path]) -> None:
    for path in paths:
        ingest_feed(store, json.loads(path.read_text(encoding="utf-8")), settings=settings)


def ingest_fixtures(store: Any, settings: Settings) -> None:
    ingest_files(store, settings, [FIXTURES / "feed-1.json", FIXTURES / "feed-2.json"])


@contextmanager
def serving_pages(fill: Callable[[Any, Settings], None]) -> Iterator[PagesServer]:
    """A live server over a fresh ``memory:`` store that ``fill(store, settings)`` loads."""
    server = ThreadedServer()
    settings = Settings(store="memory:", base_url=server.url)
    store = open_store("memory:")
    fill(store, settings)
    server.start(create_app(settings, store))
    try:
        yield PagesServer(server.url, store, settings)
    finally:
        server.stop()
        store.close()


@pytest.fixture(scope="module")
def pages_server() -> Iterator[PagesServer]:
    with serving_pages(ingest_fixtures) as served:
        yield served


def _first_existing(paths: tuple[str, ...], name: str) -> str | None:
    for path in paths:
        if Path(path).exists():
            return path
    return shutil.which(name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = _first_existing(CHROMIUM_CANDIDATES, "chromium")
    driver_path = _first_existing(CHROMEDRIVER_CANDIDATES, "chromedriver")
    if not chromium or not driver_path:
        pytest.skip("Chromium is not installed (need the Debian packages chromium and "
                    "chromium-driver; `make browser` installs them when run as root).")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="alm-ld-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
                 "--metrics-recording-only", "--window-size=1280,1600",
                 # A safety net so no test can reach the internet; requests to other hosts are
                 # still logged (and fail the no-external-requests check) before resolution.
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (drains the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def external_requests(urls: list[str]) -> list[str]:
    """The URLs that would leave this machine's 127.0.0.1."""
    leaks = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.hostname not in LOCAL_HOSTS:
            leaks.append(url)
    return leaks


def screenshot(driver: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG under artifacts/screenshots/ (the whole page when ``full_page``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = driver.get_window_size()
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], min(int(height) + 120, 6000))
    try:
        driver.save_screenshot(str(path))
    finally:
        if full_page:
            driver.set_window_size(size["width"], size["height"])
    return path
