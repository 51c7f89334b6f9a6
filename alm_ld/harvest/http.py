"""The one HTTP client of alm-ld: polite, patient and honest about failures.

Providers never sleep, retry or build sessions themselves (habanero/pyalex habit): they ask a
:class:`ProviderClient` for a URL and get back a :class:`Fetched` response or a
:class:`~alm_ld.errors.HarvestError` that names the provider, the URL, the status and the start
of the body. The client

* sends ``User-Agent: alm-ld/<version> (+<base_url>; mailto:<mailto>)`` (the polite pools of
  Crossref and OpenAlex key on the ``mailto``);
* applies connect/read timeouts from :class:`~alm_ld.config.Settings`;
* spaces requests with a token bucket per provider (:data:`DEFAULT_RATES`, overridable with
  ``ALM_LD_<PROVIDER>_RATE`` in requests per second);
* retries 429, 5xx, timeouts, dropped connections and truncated bodies with exponential backoff
  plus jitter, honouring ``Retry-After`` (seconds or an HTTP date), never waiting longer than
  :data:`MAX_WAIT` seconds at a time;
* revalidates what it has seen before with ``If-None-Match`` / ``If-Modified-Since`` and serves
  the cached body on ``304 Not Modified`` (cache in memory, and on disk when a state directory is
  given so a resumed run revalidates instead of refetching).

Time is injected (:class:`Clock`) so tests exercise backoff and rate limits without waiting.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from alm_ld import __version__
from alm_ld.config import Settings
from alm_ld.errors import HarvestError

MAX_WAIT = 60.0
"""Longest single wait (Retry-After or backoff), in seconds; a server asking for more is
treated as failed for this request rather than stalling the whole harvest."""

BACKOFF_BASE = 1.0
EXCERPT_CHARS = 300
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Requests per second and burst size per provider, from each provider's published etiquette.
DEFAULT_RATES: dict[str, tuple[float, int]] = {
    "crossref": (5.0, 1),           # public pool: 5 req/s, 1 concurrent
    "crossref-polite": (10.0, 3),   # with mailto: 10 req/s, 3 concurrent
    "openalex": (10.0, 10),         # 10 req/s, 100k/day
    "europepmc": (10.0, 5),
    "opencitations": (3.0, 1),
    "datacite": (10.0, 5),
    "wikipedia": (5.0, 1),          # be gentle with a volunteer-run API
    "plos": (10.0 / 60.0, 1),       # PLOS search: 10 requests per minute
    "crossref-events": (5.0, 1),    # Event Data Query API: Crossref's public-pool etiquette
}
FALLBACK_RATE = (2.0, 1)


class Clock:
    """Wall and monotonic time plus sleeping; tests pass a :class:`FakeClock`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock(Clock):
    """A clock whose sleeps only advance its own time and are recorded (for tests and demos)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._mono = 0.0
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._mono += max(seconds, 0.0)

    def now(self) -> datetime:
        from datetime import timedelta

        return self._start + timedelta(seconds=self._mono)


class TokenBucket:
    """At most ``rate`` requests per second on average, bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: int, clock: Clock) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1, capacity)
        self.clock = clock
        self._tokens = float(self.capacity)
        self._last = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the time slept."""
        with self._lock:
            now = self.clock.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0
            if self._tokens < 1.0:
                wait = (1.0 - self._tokens) / self.rate
                self.clock.sleep(wait)
                self._last = self.clock.monotonic()
                self._tokens = 1.0
            self._tokens -= 1.0
            return wait


def _setting(values: Mapping[str, Any], provider: str) -> Any:
    """A per-provider setting; ``crossref-events`` is configured as ``ALM_LD_CROSSREF_EVENTS_*``
    because environment variable names cannot hold a hyphen."""
    value = values.get(provider)
    return value if value is not None else values.get(provider.replace("-", "_"))


def rate_for(provider: str, settings: Settings) -> tuple[float, int]:
    """The (requests per second, burst) a provider gets under these settings."""
    configured = _setting(settings.provider_rate, provider)
    if configured is not None:
        rate = float(configured)
        return (rate if rate > 0 else FALLBACK_RATE[0]), max(1, int(rate) or 1)
    if provider == "crossref" and settings.mailto:
        return DEFAULT_RATES["crossref-polite"]
    return DEFAULT_RATES.get(provider, FALLBACK_RATE)


def user_agent(settings: Settings) -> str:
    contact = f"; mailto:{settings.mailto}" if settings.mailto else ""
    return f"alm-ld/{__version__} (+{settings.base_url}{contact})"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Fetched:
    """One answered request: what the provider said, and whether it came from the cache."""

    provider: str
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    retrieved: datetime
    from_cache: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def excerpt(self) -> str:
        return self.text[:EXCERPT_CHARS]

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is an upstream failure for this work."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HarvestError(
                f"{self.provider}: {self.url} answered {self.status} with a body that is not "
                f"JSON ({exc.msg} at character {exc.pos}); the response may be truncated.",
                provider=self.provider, url=self.url, status_code=self.status,
                body_excerpt=self.excerpt())


@dataclass
class CacheEntry:
    etag: str | None
    last_modified: str | None
    body: bytes
    headers: dict[str, str]


@dataclass
class ResponseCache:
    """Validators and bodies of earlier 200 responses, in memory and optionally on disk."""

    directory: Path | None = None
    entries: dict[str, CacheEntry] = field(default_factory=dict)

    def _path(self, url: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(url.encode()).hexdigest()[:40] + ".json")

    def get(self, url: str) -> CacheEntry | None:
        if url in self.entries:
            return self.entries[url]
        path = self._path(url)
        if path is None or not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entry = CacheEntry(raw.get("etag"), raw.get("lastModified"),
                               raw["body"].encode("utf-8"), dict(raw.get("headers", {})))
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache file only costs a full refetch
        self.entries[url] = entry
        return entry

    def put(self, url: str, entry: CacheEntry) -> None:
        self.entries[url] = entry
        path = self._path(url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "url": url, "etag": entry.etag, "lastModified": entry.last_modified,
            "headers": entry.headers, "body": entry.body.decode("utf-8", errors="replace"),
        }), encoding="utf-8")
        tmp.replace(path)


class ProviderClient:
    """A requests.Session for one provider, with its rate limit, retries and cache."""

    def __init__(
        self,
        provider: str,
        default_base_url: str,
        settings: Settings,
        *,
        clock: Clock | None = None,
        cache_dir: Path | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.base_url = (_setting(settings.provider_api, provider)
                         or default_base_url).rstrip("/")
        self.clock = clock or Clock()
        rate, burst = rate_for(provider, settings)
        self.bucket = TokenBucket(rate, burst, self.clock)
        self.cache = ResponseCache(cache_dir / provider if cache_dir else None)
        self.retries = max(0, int(settings.http_retries))
        self.timeout = (settings.http_timeout, settings.http_timeout)
        self._rng = rng or random.random
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(settings)
        self.session.headers["Accept"] = "application/json"
        self.requests_sent = 0

    def close(self) -> None:
        self.session.close()

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """``base_url + path`` with ``params`` encoded; ``path`` is already percent-encoded."""
        url = self.base_url + path
        pairs = [(k, v) for k, v in (params or {}).items() if v is not None]
        if pairs:
            url += ("&" if "?" in url else "?") + urlencode(pairs)
        return url

    def _fail(self, url: str, detail: str, status: int | None = None,
              body: str | None = None) -> HarvestError:
        return HarvestError(f"{self.provider}: {detail} ({url})", provider=self.provider,
                            url=url, status_code=status, body_excerpt=body)

    def _backoff(self, attempt: int) -> float:
        return min(MAX_WAIT, BACKOFF_BASE * (2 ** attempt) + self._rng() * BACKOFF_BASE)

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            not_found_ok: bool = True) -> Fetched:
        """GET ``path`` (relative to the base URL) and return the answer.

        2xx and 304 (served from the cache) return a :class:`Fetched`; so does 404 when
        ``not_found_ok``, because providers read it as "no such work". Anything else, after the
        retries for transient failures are used up, raises :class:`HarvestError`.
        """
        url = self.url_for(path, params)
        cached = self.cache.get(url)
        headers: dict[str, str] = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        attempt = 0
        while True:
            self.bucket.acquire()
            self.requests_sent += 1
            wait: float | None = None
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout,
                                            allow_redirects=True)
                body = response.content  # raises on a truncated body
            except requests.Timeout:
                problem = self._fail(url, f"no answer within {self.settings.http_timeout:g} s")
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = self._fail(url, f"connection failed or body cut short: "
                                          f"{type(exc).__name__}")
            except requests.RequestException as exc:
                raise self._fail(url, f"request could not be sent: {exc}")
            else:
                status = response.status_code
                now = self.clock.now()
                if status == 304 and cached is not None:
                    return Fetched(self.provider, url, 200, cached.body, cached.headers, now,
                                   from_cache=True)
                if 200 <= status < 300 or (status == 404 and not_found_ok):
                    fetched = Fetched(self.provider, url, status, body,
                                      dict(response.headers), now)
                    if status == 200 and (response.headers.get("ETag")
                                          or response.headers.get("Last-Modified")):
                        self.cache.put(url, CacheEntry(
                            response.headers.get("ETag"), response.headers.get("Last-Modified"),
                            body, {k: v for k, v in response.headers.items()
                                   if k.lower() in ("content-type", "etag", "last-modified")}))
                    return fetched
                excerpt = body[:EXCERPT_CHARS].decode("utf-8", errors="replace")
                problem = self._fail(url, f"answered HTTP {status}", status, excerpt)
                if status not in RETRY_STATUSES:
                    raise problem
                wait = parse_retry_after(response.headers.get("Retry-After"), now)
                if wait is not None and wait > MAX_WAIT:
                    raise self._fail(url, f"answered HTTP {status} and asked to wait "
                                          f"{wait:.0f} s (more than {MAX_WAIT:.0f} s)",
                                     status, excerpt)
            if attempt >= self.retries:
                problem.detail += f"; gave up after {attempt + 1} attempts"
                problem.args = (problem.detail,)
                raise problem
            self.clock.sleep(wait if wait is not None else self._backoff(attempt))
            attempt += 1


# ---------------------------------------------------------------------------------------------
# Whole files from another alm-ld (``alm-ld mirror``): streamed to disk, resumed with Range.


@dataclass
class Downloaded:
    """A file fetched to disk: where, how big, its sha256, and from which byte it resumed."""

    path: Path
    size: int
    sha256: str
    resumed_from: int
    status: int


class FileClient:
    """A requests.Session for fetching JSON documents and large files from an alm-ld server.

    Files are streamed to ``<target>.partial`` (never held in memory) with the server's ETag
    kept beside it; a later call, or the next attempt after a dropped connection, asks only
    for the missing bytes (``Range: bytes=N-`` with ``If-Range: <etag>``), so an interrupted
    download of a large dump resumes instead of starting again. A server that answers 200 to
    such a request (the file changed, or it ignores ranges) simply sends the whole file."""

    CHUNK = 1 << 16

    def __init__(self, settings: Settings, *, provider: str = "mirror") -> None:
        self.provider = provider
        self.settings = settings
        self.retries = max(0, int(settings.http_retries))
        self.timeout = (settings.http_timeout, settings.http_timeout)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(settings)

    def close(self) -> None:
        self.session.close()

    def _fail(self, url: str, detail: str, status: int | None = None) -> HarvestError:
        return HarvestError(f"{detail} ({url})", provider=self.provider, url=url,
                            status_code=status)

    def _send(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        try:
            response = self.session.get(url, headers=dict(headers), timeout=self.timeout,
                                        stream=True)
        except requests.Timeout:
            raise self._fail(url, f"no answer within {self.settings.http_timeout:g} s")
        except requests.RequestException as exc:
            raise self._fail(url, f"connection failed: {type(exc).__name__}")
        if response.status_code >= 400:
            excerpt = response.raw.read(EXCERPT_CHARS, decode_content=True) or b""
            response.close()
            raise self._fail(url, f"answered HTTP {response.status_code}: "
                                  f"{excerpt.decode('utf-8', errors='replace')}",
                             response.status_code)
        return response

    def _read_some(self, response: requests.Response) -> bytes:
        """The next bytes of the body as they arrive (``read1``: bytes received before a
        dropped connection are kept; a full-size read would discard them). A broken body is a
        ``requests.ConnectionError`` (urllib3 raises its own types, which only requests may
        name), so the caller retries from the bytes it has."""
        try:
            return response.raw.read1(self.CHUNK, decode_content=False)
        except Exception as exc:  # noqa: BLE001 - any failure here is a broken body
            raise requests.ConnectionError(f"body cut short: {exc}") from exc

    def get_json(self, url: str) -> tuple[Any, Mapping[str, str]]:
        """The JSON body of ``url`` and the response headers (a non-JSON body is an error)."""
        response = self._send(url, {"Accept": "application/json"})
        with response:
            body = response.content
        try:
            return json.loads(body), dict(response.headers)
        except ValueError as exc:
            raise self._fail(url, f"answered a body that is not JSON ({exc})", 200)

    def download(self, url: str, target: Path) -> Downloaded:
        """Fetch ``url`` to ``target`` (renamed from ``.partial`` once complete), resuming a
        partial file left by an earlier attempt; retries dropped connections."""
        partial = target.with_name(target.name + ".partial")
        etag_file = target.with_name(target.name + ".etag")
        attempt = 0
        while True:
            have = partial.stat().st_size if partial.exists() else 0
            etag = etag_file.read_text() if have and etag_file.exists() else None
            headers = {"Accept-Encoding": "identity"}
            if have and etag:
                headers.update({"Range": f"bytes={have}-", "If-Range": etag})
            try:
                response = self._send(url, headers)
                with response:
                    resumed = have if response.status_code == 206 else 0
                    if response.headers.get("ETag"):
                        etag_file.write_text(response.headers["ETag"])
                    with open(partial, "ab" if resumed else "wb") as out:
                        while chunk := self._read_some(response):
                            out.write(chunk)
                    status = response.status_code
                    expected = response.headers.get("Content-Length")
                if expected is not None and partial.stat().st_size - resumed != int(expected):
                    raise self._fail(url, "body cut short")
            except (HarvestError, requests.RequestException) as exc:
                if isinstance(exc, HarvestError) and (exc.status_code or 0) >= 400:
                    raise
                if attempt >= self.retries:
                    if isinstance(exc, HarvestError):
                        raise
                    raise self._fail(url, f"connection dropped: {type(exc).__name__}")
                attempt += 1
                time.sleep(min(MAX_WAIT, BACKOFF_BASE * attempt))
                continue
            digest = hashlib.sha256()
            with open(partial, "rb") as data:
                for block in iter(lambda: data.read(self.CHUNK), b""):
                    digest.update(block)
            partial.replace(target)
            etag_file.unlink(missing_ok=True)
            return Downloaded(target, target.stat().st_size, digest.hexdigest(), resumed,
                              status)
