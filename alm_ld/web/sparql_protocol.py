"""SPARQL 1.1 Protocol request parsing — a pure function of method, parameters and body.

Follows https://www.w3.org/TR/sparql11-protocol/ §2.1: a query arrives as ``query`` in the URL
(GET), in an ``application/x-www-form-urlencoded`` body (POST form), or as the body of an
``application/sparql-query`` POST (UTF-8). ``default-graph-uri`` / ``named-graph-uri`` set the
dataset. Other parameters (SPARQLWrapper's ``format``, ``output``, ``results``) are ignored:
results are negotiated with ``Accept`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from alm_ld.errors import MalformedQuery, UnsupportedMediaType, UsageError
from alm_ld.identifiers import is_absolute_iri
from alm_ld.web.sparql_check import refuse_update

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
"""Parameters only SPARQL Update requests carry (§2.2): refused wherever they appear, in the URL
of any request or in a form body, so no combination slips an update past the read-only
endpoint or is silently ignored."""


@dataclass(frozen=True)
class ProtocolRequest:
    """``query`` is None for a request that asks for the service description."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def has_protocol_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedQuery(
            f"The {what} is not valid UTF-8 (byte {error.start}); SPARQL requests must be UTF-8.")


def _parse_form(body: bytes) -> MultiDict[str, str]:
    text = _decode(body, "form body")
    try:
        return MultiDict(parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                   encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        raise MalformedQuery("The form body has percent-escapes that are not UTF-8.")


def _graphs(params: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in params.getlist(name))
    for value in values:
        if not is_absolute_iri(value):
            raise UsageError(f"{name}={value!r} is not an absolute IRI.", parameter=name)
    return values


def _one_query(params: MultiDict[str, str]) -> str | None:
    queries = params.getlist("query")
    if len(queries) > 1:
        raise UsageError(
            f"The request carries {len(queries)} 'query' parameters; send exactly one.",
            parameter="query")
    return queries[0] if queries else None


def parse_protocol_request(method: str, args: MultiDict[str, str], content_type: str | None,
                           body: bytes) -> ProtocolRequest:
    """Turn one HTTP request into a :class:`ProtocolRequest` or raise the protocol's error."""
    method = method.upper()
    mimetype, params = _media_type(content_type)
    _refuse_update_params(args)
    if method in ("GET", "HEAD"):
        return ProtocolRequest(_one_query(args), _graphs(args, "default-graph-uri"),
                               _graphs(args, "named-graph-uri"))
    if method != "POST":
        raise UsageError(f"{method} is not a SPARQL protocol method; use GET or POST.")
    if mimetype == FORM:
        form = _parse_form(body)
        _refuse_update_params(form)
        if "query" in args and "query" in form:
            raise UsageError("The query is given both in the URL and in the form body; send "
                             "it once.", parameter="query")
        query = _one_query(form) or _one_query(args)
        if query is None:
            raise UsageError("The form body has no 'query' parameter.", parameter="query")
        merged = MultiDict(list(args.items(multi=True)) + list(form.items(multi=True)))
        return ProtocolRequest(query, _graphs(merged, "default-graph-uri"),
                               _graphs(merged, "named-graph-uri"))
    if mimetype == SPARQL_QUERY:
        charset = params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(
                f"charset={charset} is not supported; send the query as UTF-8.")
        if "query" in args:
            raise UsageError("A direct POST carries the query in the body; remove the 'query' "
                             "URL parameter.", parameter="query")
        query = _decode(body, "query")
        return ProtocolRequest(query, _graphs(args, "default-graph-uri"),
                               _graphs(args, "named-graph-uri"))
    if mimetype == SPARQL_UPDATE:
        raise refuse_update()
    shown = mimetype or "none"
    raise UnsupportedMediaType(
        f"POST /sparql needs Content-Type {FORM} or {SPARQL_QUERY}; got {shown}.",
        accepted=[FORM, SPARQL_QUERY])


def _refuse_update_params(params: MultiDict[str, str]) -> None:
    if any(name in params for name in UPDATE_PARAMS):
        raise refuse_update()


def _media_type(content_type: str | None) -> tuple[str, Mapping[str, str]]:
    if not content_type:
        return "", {}
    parts = [p.strip() for p in content_type.split(";")]
    params: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params
