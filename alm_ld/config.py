"""Settings: the only module that reads the environment.

Everything else receives a :class:`Settings` object, so tests build one per test and nothing is
decided at import time. Every setting has a sensible default so ``make run`` needs none.

=============================  ============================================  =====================
variable                       meaning                                       default
=============================  ============================================  =====================
ALM_LD_STORE                   store spec: ``oxigraph:PATH``, ``memory:``,   ``oxigraph:./var/store``
                               ``sparql:QUERY_URL[;UPDATE_URL]``
ALM_LD_BASE_URL                public base URL of the service                ``http://127.0.0.1:8080``
ALM_LD_TOKENS                  comma-separated bearer tokens for POST /feeds (none: ingest closed)
ALM_LD_MAILTO                  contact e-mail sent to providers (polite pool) (none)
ALM_LD_QUERY_TIMEOUT           SPARQL query timeout in seconds               ``10``
ALM_LD_RESULT_LIMIT            max rows of a SPARQL SELECT result            ``10000``
ALM_LD_MAX_BODY                max request body in bytes                     ``20000000``
ALM_LD_HTTP_TIMEOUT            harvest connect/read timeout in seconds       ``10``
ALM_LD_HTTP_RETRIES            harvest retries on 429/5xx/connection errors  ``4``
ALM_LD_JUMP_THRESHOLD          alert: max increase per day (discussion)      ``500``
ALM_LD_DISAGREE_FACTOR         alert: sources disagreeing beyond this factor ``2.0``
ALM_LD_QUERY_MAX_BYTES         largest SPARQL query text (UTF-8 bytes)       ``100000``
ALM_LD_QUERY_MAX_DEPTH         deepest nesting of ``{ ( [`` in a query        ``64``
ALM_LD_QUERY_MAX_PATTERNS      most triple patterns in a query               ``2000``
ALM_LD_QUERY_WORKERS           query worker processes (embedded store)       ``2``
ALM_LD_SSE_MAX                 open ``/changes/stream`` listeners in total   ``16``
ALM_LD_SSE_PER_CLIENT          open listeners per client address             ``2``
ALM_LD_SSE_HEARTBEAT           seconds between SSE heartbeat comments        ``15``
ALM_LD_BODY_TIMEOUT            seconds a client may take to send a request   ``30``
ALM_LD_STORE_WRITE_TIMEOUT     seconds a ``sparql:`` store may take to apply ``120``
                               one update (an ingest, a load)
ALM_LD_MAX_CONNECTIONS         open client connections the server accepts    ``1000``
ALM_LD_CLAIM_LEASE             seconds a writer's claim on the next sequence ``120``
                               of a ``sparql:`` store lives (a writer that
                               died frees it after this; docs/store.md)
ALM_LD_INGEST_WAIT             seconds an ingest waits for its turn among    ``120``
                               concurrent writers of a ``sparql:`` store
ALM_LD_UPDATE_CHUNK            most triples in one update request to a       ``1000``;
                               ``sparql:`` store (larger graphs are staged in ``200000`` on
                               chunks and published by one small update)     an Oxigraph server
ALM_LD_VALIDATE_TIMEOUT        seconds the SHACL check of one RDF feed sent   ``30``
                               to ``POST /validate`` may take
ALM_LD_VALIDATE_WORKERS        SHACL checks running at once per serving       ``1``
                               process (each in its own child process)
ALM_LD_DUMPS                   folder of the snapshots and deltas served at  beside an embedded
                               ``/dumps`` (``alm-ld snapshot``)              store: ``var/dumps``
ALM_LD_WORKS_INDEX             file of the works index (``GET /works``) of a  beside an embedded
                               ``sparql:`` store, shared by every process     store; in memory
                               serving it (set by ``serve --workers N``)      for ``sparql:``
ALM_LD_<PROVIDER>_API          base URL override of a provider's API         provider's own
ALM_LD_<PROVIDER>_RATE         requests per second for a provider            provider's own
=============================  ============================================  =====================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from alm_ld.errors import ConfigError

DEFAULT_STORE = "oxigraph:./var/store"


def _number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; unset it or give e.g. {default}.")
    if value < 0:
        raise ConfigError(f"{name}={raw!r} must not be negative.")
    return value


@dataclass(frozen=True)
class Settings:
    """All knobs of alm-ld in one immutable object."""

    store: str = DEFAULT_STORE
    base_url: str = "http://127.0.0.1:8080"
    tokens: tuple[str, ...] = ()
    mailto: str | None = None
    query_timeout: float = 10.0
    result_limit: int = 10000
    max_body: int = 20_000_000
    http_timeout: float = 10.0
    http_retries: int = 4
    jump_threshold: int = 500
    disagree_factor: float = 2.0
    query_max_bytes: int = 100_000
    query_max_depth: int = 64
    query_max_patterns: int = 2000
    query_workers: int = 2
    sse_max: int = 16
    sse_per_client: int = 2
    sse_heartbeat: float = 15.0
    body_timeout: float = 30.0
    store_write_timeout: float = 120.0
    max_connections: int = 1000
    claim_lease: float = 120.0
    ingest_wait: float = 120.0
    update_chunk: int | None = None
    """None: by engine (alm_ld.store.sparql: 1000, 200000 on Oxigraph)."""
    validate_timeout: float = 30.0
    validate_workers: int = 1
    dumps_dir: str = ""
    """Where snapshots and deltas are written (empty: see :meth:`dumps_folder`)."""
    works_index: str = ""
    """The works index's file for a store that cannot name one itself (a ``sparql:`` store):
    processes serving the same store share it instead of each rebuilding one in memory."""
    provider_api: Mapping[str, str] = field(default_factory=dict)
    provider_rate: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``ALM_LD_*`` variables; keyword overrides (e.g. from CLI options) win."""
        env = os.environ if environ is None else environ
        provider_api: dict[str, str] = {}
        provider_rate: dict[str, float] = {}
        for key, value in env.items():
            if not key.startswith("ALM_LD_"):
                continue
            if key.endswith("_API") and value:
                provider_api[key[len("ALM_LD_"):-len("_API")].lower()] = value.rstrip("/")
            elif key.endswith("_RATE") and value:
                provider_rate[key[len("ALM_LD_"):-len("_RATE")].lower()] = _number(env, key, 1.0)
        tokens = tuple(t.strip() for t in env.get("ALM_LD_TOKENS", "").split(",") if t.strip())
        settings = cls(
            store=env.get("ALM_LD_STORE") or DEFAULT_STORE,
            base_url=(env.get("ALM_LD_BASE_URL") or cls.base_url).rstrip("/"),
            tokens=tokens,
            mailto=env.get("ALM_LD_MAILTO") or None,
            query_timeout=_number(env, "ALM_LD_QUERY_TIMEOUT", 10.0),
            result_limit=_number(env, "ALM_LD_RESULT_LIMIT", 10000, int),
            max_body=_number(env, "ALM_LD_MAX_BODY", 20_000_000, int),
            http_timeout=_number(env, "ALM_LD_HTTP_TIMEOUT", 10.0),
            http_retries=_number(env, "ALM_LD_HTTP_RETRIES", 4, int),
            jump_threshold=_number(env, "ALM_LD_JUMP_THRESHOLD", 500, int),
            disagree_factor=_number(env, "ALM_LD_DISAGREE_FACTOR", 2.0),
            query_max_bytes=_number(env, "ALM_LD_QUERY_MAX_BYTES", 100_000, int),
            query_max_depth=_number(env, "ALM_LD_QUERY_MAX_DEPTH", 64, int),
            query_max_patterns=_number(env, "ALM_LD_QUERY_MAX_PATTERNS", 2000, int),
            query_workers=_number(env, "ALM_LD_QUERY_WORKERS", 2, int),
            sse_max=_number(env, "ALM_LD_SSE_MAX", 16, int),
            sse_per_client=_number(env, "ALM_LD_SSE_PER_CLIENT", 2, int),
            sse_heartbeat=_number(env, "ALM_LD_SSE_HEARTBEAT", 15.0),
            body_timeout=_number(env, "ALM_LD_BODY_TIMEOUT", 30.0),
            store_write_timeout=_number(env, "ALM_LD_STORE_WRITE_TIMEOUT", 120.0),
            max_connections=_number(env, "ALM_LD_MAX_CONNECTIONS", 1000, int),
            claim_lease=_number(env, "ALM_LD_CLAIM_LEASE", 120.0),
            ingest_wait=_number(env, "ALM_LD_INGEST_WAIT", 120.0),
            update_chunk=(_number(env, "ALM_LD_UPDATE_CHUNK", 0, int)
                          if env.get("ALM_LD_UPDATE_CHUNK") else None),
            validate_timeout=_number(env, "ALM_LD_VALIDATE_TIMEOUT", 30.0),
            validate_workers=_number(env, "ALM_LD_VALIDATE_WORKERS", 1, int),
            dumps_dir=env.get("ALM_LD_DUMPS") or "",
            works_index=env.get("ALM_LD_WORKS_INDEX") or "",
            provider_api=provider_api,
            provider_rate=provider_rate,
        )
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **overrides) if overrides else settings

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (tests and CLI options)."""
        return replace(self, **changes)
