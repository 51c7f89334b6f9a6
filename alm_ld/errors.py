"""One error hierarchy for the whole service.

Every error knows how it is shown to each kind of user: as an RFC 9457 problem document over
HTTP (``status``, ``type``, ``title``) and as an exit code on the command line. Interfaces never
decide this themselves, so the CLI and the web service cannot drift apart.

CLI exit codes (documented in the README):

====  ==========================================================
0     success (warnings allowed)
1     invalid input: invalid feed, malformed query, conflicting feed
2     usage error: unknown option, missing file, bad identifier or setting
3     partial failure upstream: some works could not be harvested
4     the store or another local resource is unavailable
5     the store answers, but not as alm-ld needs (misconfigured: retrying will not help)
====  ==========================================================
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://w3id.org/alm-ld/problems/"

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_UNAVAILABLE = 4
EXIT_MISCONFIGURED = 5


class AlmLdError(Exception):
    """Base of every error alm-ld raises on purpose.

    ``detail`` is a sentence for a person: what is wrong and, where possible, how to fix it.
    ``extra`` members are added to the problem document (e.g. ``problems`` for validation).
    """

    status: int = 500
    exit_code: int = EXIT_UNAVAILABLE
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        doc: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        for key, value in self.extra.items():
            doc[key] = value
        return doc


class UsageError(AlmLdError):
    status, exit_code, slug, title = 400, EXIT_USAGE, "bad-request", "Bad request"


class ConfigError(AlmLdError):
    status, exit_code, slug, title = 500, EXIT_USAGE, "configuration", "Invalid configuration"


class InvalidIdentifier(UsageError):
    slug, title = "invalid-identifier", "Invalid identifier"


class InvalidFeed(AlmLdError):
    """A feed that breaks the schema or the semantic rules; carries every problem found."""

    status, exit_code, slug, title = 422, EXIT_INVALID, "invalid-feed", "Invalid feed"

    def __init__(self, detail: str, problems: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail, problems=problems or [], **extra)

    @property
    def problems(self) -> list[dict[str, Any]]:
        return self.extra["problems"]


class InvalidDump(AlmLdError):
    """A dump (N-Quads/TriG) that does not parse; the load wrote nothing of it."""

    status, exit_code, slug, title = 400, EXIT_INVALID, "invalid-dump", "Invalid dump"


class FeedConflict(AlmLdError):
    status, exit_code, slug, title = 409, EXIT_INVALID, "feed-conflict", "Feed id already used"


class NotFound(AlmLdError):
    status, exit_code, slug, title = 404, EXIT_INVALID, "not-found", "Not found"


class Unauthorized(AlmLdError):
    status, exit_code, slug, title = 401, EXIT_USAGE, "unauthorized", "Authentication required"


class Forbidden(AlmLdError):
    status, exit_code, slug, title = 403, EXIT_USAGE, "forbidden", "Forbidden"


class NotAcceptable(AlmLdError):
    status, exit_code, slug, title = 406, EXIT_USAGE, "not-acceptable", "Not acceptable"


class PayloadTooLarge(AlmLdError):
    status, exit_code, slug, title = 413, EXIT_INVALID, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AlmLdError):
    status, exit_code, slug, title = (
        415, EXIT_USAGE, "unsupported-media-type", "Unsupported media type")


class MalformedQuery(AlmLdError):
    status, exit_code, slug, title = 400, EXIT_INVALID, "malformed-query", "Malformed query"


class QueryRefused(AlmLdError):
    """A well-formed query that uses a feature this endpoint does not allow (SERVICE, LOAD, …)."""

    status, exit_code, slug, title = 400, EXIT_INVALID, "query-refused", "Query refused"


class QueryTimeout(AlmLdError):
    status, exit_code, slug, title = 503, EXIT_UNAVAILABLE, "query-timeout", "Query timed out"


class ValidatorBusy(AlmLdError):
    """Every SHACL check slot of this serving process stayed taken until the deadline (the
    checks of RDF feeds run in capped child processes: alm_ld.validation.isolated)."""

    status, exit_code, slug, title = 503, EXIT_UNAVAILABLE, "validator-busy", "Validator busy"


class StoreUnavailable(AlmLdError):
    status, exit_code, slug, title = 503, EXIT_UNAVAILABLE, "store-unavailable", "Store unavailable"


class IndexBuilding(StoreUnavailable):
    """A derived index (the works index) is still being built or caught up in the background
    and would take longer than the request may wait: try again (``retryAfterSeconds`` is sent
    as ``Retry-After``; ``feedsFolded`` of ``feedsTotal`` is the progress)."""

    slug, title = "index-building", "Index being built"


class StoreError(StoreUnavailable):
    """The store refused a request that is valid SPARQL (one alm-ld built, or a user's query
    that our parser accepts): the engine's fault or limit, not the client's, so a 502 — never
    400 "Malformed query" echoing the query (issue 14). A :class:`StoreUnavailable` so callers
    that handle an unreachable store handle this too (exit 4)."""

    status, slug, title = 502, "store-error", "Store error"


class StoreMisconfigured(AlmLdError):
    """The store answers, but not the way alm-ld needs: e.g. its default graph is not the union
    of its named graphs (``oxigraph serve`` without ``--union-default-graph``), or it refuses
    writes while ingest is enabled. Unlike :class:`StoreUnavailable`, waiting will not fix it,
    so it has its own exit code (a supervisor should not restart in a loop) and its own problem
    type (a load balancer's health check names the fault)."""

    status, exit_code, slug, title = (
        503, EXIT_MISCONFIGURED, "store-misconfigured", "Store misconfigured")


class HarvestError(AlmLdError):
    """An upstream provider failed for one request; carries what is needed to diagnose it."""

    status, exit_code, slug, title = 502, EXIT_PARTIAL, "upstream-error", "Upstream provider failed"

    def __init__(
        self,
        detail: str,
        *,
        provider: str,
        url: str | None = None,
        status_code: int | None = None,
        body_excerpt: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            detail, provider=provider, url=url, upstreamStatus=status_code,
            bodyExcerpt=body_excerpt, **extra)
        self.provider = provider
        self.url = url
        self.status_code = status_code
        self.body_excerpt = body_excerpt


class UpstreamFormatChanged(HarvestError):
    slug, title = "upstream-format-changed", "Upstream response format changed"
