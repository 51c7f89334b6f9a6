"""``/dumps``: the snapshots and deltas of the dataset, their manifest, and the live tail.

* ``GET /dumps`` — the manifest, negotiated: JSON (default, also ``/dumps/index.json``) or a
  DCAT catalogue in Turtle (``Accept: text/turtle``, also ``/dumps/index.ttl``);
* ``GET /dumps/{name}`` — a file the manifest lists, with ``ETag`` (its sha256),
  ``Last-Modified`` and byte ranges (``Range``/``If-Range`` → 206, so an interrupted download
  resumes; an unsatisfiable range → 416 with ``Content-Range: bytes */size``);
* ``GET /dumps/live?after=N[&limit=M]`` — N-Quads of the feeds after sequence ``N`` (default
  0) up to the change feed's watermark (at most ``M`` feeds, default 1000), streamed; its
  first line is the comment ``# alm-ld feeds FIRST..LAST`` and the same range is in the
  ``Alm-Sequence-First``/``-Last`` headers. An empty body: nothing after ``N`` yet.

Files are made by ``alm-ld snapshot`` or ``serve --snapshot-every`` (alm_ld.exchange.snapshots);
this module only serves them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request, send_file, stream_with_context
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from alm_ld.analytics.changes import END, Cursor
from alm_ld.errors import UsageError
from alm_ld.exchange.snapshots import (
    FORMATS,
    dump_file,
    folder,
    read_manifest,
    settled_watermark,
)
from alm_ld.exchange.writers import Counts, feeds_between, nquads_chunks
from alm_ld.web.conneg import negotiate
from alm_ld.web.problems import problem_document, problem_response
from alm_ld.web.state import settings, store
from alm_ld.web.void import DCAT

blueprint = Blueprint("dumps", __name__)

JSON = "application/json"
TURTLE = "text/turtle"
MAX_LIVE_FEEDS = 1000
SPDX = "http://spdx.org/rdf/terms#"


def served_manifest() -> dict[str, Any]:
    """The stored manifest with absolute URLs, the current watermark and where ``/changes``
    continues after the newest snapshot."""
    base = settings().base_url
    manifest = copy.deepcopy(read_manifest(folder(settings())))
    upto = settled_watermark(store())
    for entry in (*manifest["snapshots"], *manifest["deltas"]):
        for item in entry["files"]:
            item["url"] = f"{base}/dumps/{item['name']}"
    newest = max((s["sequence"]["last"] for s in manifest["snapshots"]), default=0)
    return {
        "id": f"{base}/dumps/index.json",
        "description": "Snapshots (feeds 1..last) and deltas (feeds first..last) of this "
                       "alm-ld dataset; files are gzip. Load the newest snapshot, then the "
                       "deltas, then /dumps/live?after=<last> and follow /changes.",
        "watermark": upto,
        "live": f"{base}/dumps/live?after={newest}",
        "changes": f"{base}/changes?cursor={Cursor(newest, END).encode()}",
        "updated": manifest.get("updated"),
        "snapshots": manifest["snapshots"],
        "deltas": manifest["deltas"],
    }


def dcat_graph(manifest: dict[str, Any]) -> Graph:
    """The manifest as a DCAT catalogue: one ``dcat:Dataset`` per snapshot or delta, one
    ``dcat:Distribution`` per file (download URL, media type, gzip, size, sha256 checksum)."""
    base = settings().base_url
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dcterms", DCTERMS), ("spdx", SPDX),
                              ("xsd", XSD)):
        graph.bind(prefix, namespace)
    catalog = URIRef(f"{base}/dumps")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("alm-ld dumps")))
    graph.add((catalog, DCTERMS.isPartOf, URIRef(base + "/.well-known/void#dataset")))
    for entry in (*manifest["snapshots"], *manifest["deltas"]):
        dataset = URIRef(f"{base}/dumps#{entry['id']}")
        graph.add((catalog, DCAT.dataset, dataset))
        graph.add((dataset, RDF.type, DCAT.Dataset))
        graph.add((dataset, DCTERMS.title, Literal(
            f"{entry['kind']} of feeds {entry['sequence']['first']}..{entry['sequence']['last']}")))
        graph.add((dataset, DCTERMS.issued, Literal(entry["created"], datatype=XSD.dateTime)))
        for item in entry["files"]:
            dist = URIRef(item["url"])
            graph.add((dataset, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            graph.add((dist, DCAT.downloadURL, dist))
            graph.add((dist, DCAT.mediaType, URIRef(
                "https://www.iana.org/assignments/media-types/" + item["mediaType"])))
            graph.add((dist, DCAT.compressFormat, URIRef(
                "https://www.iana.org/assignments/media-types/application/gzip")))
            graph.add((dist, DCAT.byteSize, Literal(item["size"], datatype=XSD.nonNegativeInteger)))
            checksum = BNode()
            graph.add((dist, URIRef(SPDX + "checksum"), checksum))
            graph.add((checksum, RDF.type, URIRef(SPDX + "Checksum")))
            graph.add((checksum, URIRef(SPDX + "algorithm"),
                       URIRef(SPDX + "checksumAlgorithm_sha256")))
            graph.add((checksum, URIRef(SPDX + "checksumValue"),
                       Literal(item["sha256"], datatype=XSD.hexBinary)))
            for licences in item.get("licenses", {}).values():
                for licence in licences:
                    graph.add((dist, DCTERMS.license, URIRef(licence)))
    return graph


def _manifest_response(media: str) -> Response:
    manifest = served_manifest()
    if media == TURTLE:
        body = dcat_graph(manifest).serialize(format="turtle", encoding="utf-8")
        response = Response(body, content_type="text/turtle; charset=utf-8")
    else:
        response = Response(json.dumps(manifest, indent=2), content_type=JSON)
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.get("/dumps")
def dumps_index() -> Response:
    media = negotiate(request.headers.get("Accept"), [JSON, TURTLE],
                      format_param=request.args.get("format"))
    response = _manifest_response(media)
    response.vary.add("Accept")
    return response


@blueprint.get("/dumps/index.json")
def dumps_index_json() -> Response:
    return _manifest_response(JSON)


@blueprint.get("/dumps/index.ttl")
def dumps_index_ttl() -> Response:
    return _manifest_response(TURTLE)


def _natural(name: str, default: int | None = None, *, at_most: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise UsageError(f"{name} is required (a sequence number, e.g. {name}=0).")
        return default
    if not raw.isascii() or not raw.isdigit():
        raise UsageError(f"{name}={raw!r} must be a whole number (0 or more).")
    value = int(raw)
    if at_most is not None and not 1 <= value <= at_most:
        raise UsageError(f"{name}={raw} must be between 1 and {at_most}.")
    return value


@blueprint.get("/dumps/live")
def dumps_live() -> Response:
    after = _natural("after", 0)
    limit = _natural("limit", MAX_LIVE_FEEDS, at_most=MAX_LIVE_FEEDS)
    the_store = store()
    last = min(settled_watermark(the_store), after + limit)
    response_headers: dict[str, str] = {"Cache-Control": "no-store"}
    if last <= after:
        return Response(b"", content_type="application/n-quads", headers=response_headers)
    response_headers.update({"Alm-Sequence-First": str(after + 1),
                             "Alm-Sequence-Last": str(last)})

    def body() -> Iterator[bytes]:
        yield f"# alm-ld feeds {after + 1}..{last}\n".encode()
        yield from nquads_chunks(the_store, feeds_between(the_store, after + 1, last), Counts())

    return Response(stream_with_context(body()), content_type="application/n-quads",
                    headers=response_headers)


@blueprint.get("/dumps/<name>")
def dumps_file(name: str) -> Response:
    path = dump_file(settings(), name)
    manifest = read_manifest(folder(settings()))
    sha = next(item["sha256"] for entry in (*manifest["snapshots"], *manifest["deltas"])
               for item in entry["files"] if item["name"] == name)
    try:
        response = send_file(path, mimetype="application/gzip", as_attachment=True,
                             download_name=name, conditional=True, etag=sha,
                             max_age=31536000)
    except RequestedRangeNotSatisfiable:
        size = path.stat().st_size
        doc = problem_document(416, "Range not satisfiable",
                               f"{name} has {size} bytes; ask for a range inside them.")
        return problem_response(doc, {"Content-Range": f"bytes */{size}"})
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


__all__ = ["FORMATS", "blueprint", "dcat_graph", "served_manifest"]
