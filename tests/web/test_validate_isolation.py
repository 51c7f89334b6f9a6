"""POST /validate with RDF: the SHACL check runs in a child process with a deadline, so a
costly graph neither blocks the server nor runs on past ALM_LD_VALIDATE_TIMEOUT."""

from __future__ import annotations

import copy
import json
import re
import threading
import time

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.errors import UsageError, ValidatorBusy
from alm_ld.jsonld import to_rdf_nquads
from alm_ld.resources import examples_dir
from alm_ld.validation.isolated import _slot, validate_rdf_isolated
from alm_ld.validation.rdf_feed import validate_rdf_feed


def _ntriples(counts: int) -> bytes:
    """A valid feed of ``counts`` Count items as N-Triples (about 10 triples per item)."""
    doc = json.loads((examples_dir() / "valid-base.json").read_text(encoding="utf-8"))
    count = next(item for item in doc["items"] if item["type"] == "Count")
    doc["items"] = []
    for n in range(counts):
        item = copy.deepcopy(count)
        item["work"] = f"https://doi.org/10.1234/w{n}"
        doc["items"].append(item)
    return to_rdf_nquads(doc).encode()


def _no_bnode_labels(report: dict) -> str:
    """Blank node labels are per parse: the same node is ``_:N1a…`` here and ``_:N9f…`` there."""
    return re.sub(r"_:N[0-9a-f]+", "_:b", json.dumps(report, sort_keys=True))


def test_the_isolated_check_gives_the_in_process_report() -> None:
    bad = _ntriples(3).replace(b"https://doi.org/10.1234/w1", b"not-an-iri:", 1)
    for data in (_ntriples(3), bad, b"@prefix x: <y> . x:a x:b"):
        syntax = "turtle" if data.startswith(b"@") else "ntriples"
        inline = validate_rdf_feed(data, syntax, "base")
        isolated = validate_rdf_isolated(data, syntax, "base", settings=Settings())
        assert _no_bnode_labels(isolated.to_dict()) == _no_bnode_labels(inline.to_dict())


def test_unknown_profile_is_a_usage_error_not_a_crashed_child() -> None:
    with pytest.raises(UsageError, match="profile"):
        validate_rdf_isolated(b"<a:b> <a:c> <a:d> .", "ntriples", "lenient",
                              settings=Settings())


def test_all_slots_busy_is_validator_busy_503() -> None:
    settings = Settings(validate_workers=7, validate_timeout=0.2)  # a size no other test uses
    slots = _slot(7)
    taken = [slots.acquire(timeout=1) for _ in range(7)]
    try:
        with pytest.raises(ValidatorBusy) as caught:
            validate_rdf_isolated(_ntriples(1), "ntriples", "base", settings=settings)
        assert caught.value.status == 503 and "ALM_LD_VALIDATE_WORKERS" in caught.value.detail
    finally:
        for _ in taken:
            slots.release()


def test_a_costly_graph_is_stopped_at_the_deadline_and_the_server_keeps_answering(
        live_server) -> None:
    live = live_server(validate_timeout=1.0)
    body = _ntriples(3000)  # ~30,000 triples: several seconds of SHACL, far past 1 s
    answers: list[requests.Response] = []

    def post() -> None:
        answers.append(requests.post(live.url + "/validate", data=body, timeout=60,
                                     headers={"Content-Type": "application/n-triples"}))

    started = time.monotonic()
    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(0.3)
    health = requests.get(live.url + "/healthz", timeout=5)  # not stuck behind the check
    assert health.status_code == 200 and thread.is_alive()
    thread.join(30)
    elapsed = time.monotonic() - started
    assert answers[0].status_code == 200
    report = answers[0].json()
    assert report["valid"] is False
    assert [p["rule"] for p in report["problems"]] == ["too-costly"]
    assert "ALM_LD_VALIDATE_TIMEOUT" in report["problems"][0]["message"]
    assert elapsed < 10  # stopped near the 1 s deadline, not after the whole check


def test_a_small_rdf_feed_over_http_is_checked_in_a_child(live_server) -> None:
    live = live_server()
    response = requests.post(live.url + "/validate", data=_ntriples(2), timeout=30,
                             headers={"Content-Type": "application/n-triples"})
    assert response.status_code == 200 and response.json()["valid"] is True
