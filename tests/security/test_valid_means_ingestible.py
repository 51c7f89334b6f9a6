"""'Valid' means 'ingestible', and nothing answers 500 (issue 12, item 7).

Before the fix, ``https://e[.org/x`` as a work gave 500 on ``POST /validate`` (documented to
always answer 200) and on ``POST /feeds``, and a traceback from ``alm-ld validate``; a provider id
with a C1 control, an evidence URL with ``%zz`` or a feed id with ``\\u0012`` passed /validate
but failed ``POST /feeds``. The validator now checks every IRI-valued field with the rule the
store applies, so: /validate reports the problem at its JSON path (200), POST /feeds answers 422
with the same problems, the CLI prints one line per problem and exits 1 — and any feed /validate
calls valid is stored by POST /feeds (a property test over the real served process).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alm_ld.resources import examples_dir
from tests.security.conftest import TOKEN

VALID = json.loads((examples_dir() / "valid-base.json").read_text(encoding="utf-8"))
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/ld+json"}
JSON_LD = {"Content-Type": "application/ld+json"}


def feed(**changes: Any) -> dict[str, Any]:
    """The valid example with a fresh feed id and ``changes`` (``items__0__work=…`` style)."""
    doc = copy.deepcopy(VALID)
    doc["id"] = f"urn:uuid:{uuid.uuid4()}"
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return doc


def body(doc: object) -> bytes:
    return json.dumps(doc).encode("ascii")  # \\u escapes: lone surrogates travel as JSON


# (changes, JSON path of the problem, rule)
BAD_FEEDS = {
    "work with a malformed host": ({"items__0__work": "https://e[.org/x"},
                                   "$.items[0].work", "identifier"),
    "provider id with a C1 control": ({"provider__id": "https://ror.org/02\x85twcfp32"},
                                      "$.provider.id", "iri"),
    "evidence with a bad escape": ({"items__0__evidence": "https://api.crossref.org/%zz"},
                                   "$.items[0].evidence", "iri"),
    "feed id with U+0012": ({"id": "urn:uuid:\x12"}, "$.id", "iri"),
    "event subject with a bad host": ({"items__2__subject": "https://a b[.org/x"},
                                      "$.items[2].subject", "iri"),
    "event licence with a bad port": ({"items__2__license": "https://e.org:x/l"},
                                      "$.items[2].license", "iri"),
    "extension metric IRI with '%'": ({"items__1__metric": "https://example.org/m/%"},
                                      "$.items[1].metric", "iri"),
    "unpaired surrogate in a name": ({"provider__name": "Cross\ud800ref"},
                                     "$.provider.name", "text"),
}


def problems_at(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["path"], p["rule"]) for p in report["problems"] if p["severity"] == "error"}


@pytest.mark.parametrize("case", sorted(BAD_FEEDS))
def test_validate_reports_the_problem_at_its_path(served, case: str) -> None:
    changes, path, rule = BAD_FEEDS[case]
    response = served.post("/validate", data=body(feed(**changes)), headers=JSON_LD)
    assert response.status_code == 200, response.text[:500]
    report = response.json()
    assert report["valid"] is False
    paths = {p for p, _ in problems_at(report)}
    assert path in paths, report
    assert (path, rule) in problems_at(report) or rule == "iri" and any(
        p == path and r.startswith("schema.") for p, r in problems_at(report)), report


@pytest.mark.parametrize("case", sorted(BAD_FEEDS))
def test_post_feeds_answers_422_with_the_same_problems(served, case: str) -> None:
    changes, path, _ = BAD_FEEDS[case]
    doc = feed(**changes)
    validated = served.post("/validate", data=body(doc), headers=JSON_LD).json()
    response = served.post("/feeds", data=body(doc), headers=AUTH)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert problems_at(response.json()) == problems_at(validated)


@pytest.mark.parametrize("case", sorted(BAD_FEEDS))
def test_cli_prints_one_line_per_problem_and_exits_1(tmp_path: Path, case: str) -> None:
    changes, path, _ = BAD_FEEDS[case]
    file = tmp_path / "feed.json"
    file.write_bytes(body(feed(**changes)))
    run = subprocess.run([sys.executable, "-m", "alm_ld", "validate", str(file)],
                         capture_output=True, timeout=60)
    stdout, stderr = run.stdout.decode("utf-8"), run.stderr.decode("utf-8")
    assert run.returncode == 1, (stdout, stderr)
    assert "Traceback" not in stderr + stdout
    lines = stdout.splitlines()
    assert lines[-1].endswith("error(s), 0 warning(s)") and "INVALID" in lines[-1]
    assert all(line.startswith("$") for line in lines[:-1]), lines
    assert any(line.startswith(path + ": [") for line in lines[:-1]), lines


def test_the_valid_example_is_ingested(served) -> None:
    response = served.post("/feeds", data=body(feed()), headers=AUTH)
    assert response.status_code == 201, response.text[:500]


# -- property: whatever /validate calls valid, POST /feeds stores --------------------------------

_TRICKY = st.sampled_from(list(
    "aZ09-._~!$&'()*+,;=:@/?#%[]<>\"{}|\\^` \t\n\x00\x12\x7f\x85\xa0\u2028\ud7ff\ue000"
    "\uf8ff\ufdd0\ufffd\ufffe\U0001f600\U000e0001\U000f0000ü"))
_TEXT = st.text(_TRICKY | st.characters(codec="utf-8"), max_size=16) | st.text(_TRICKY, max_size=8)
_IRIISH = st.builds(lambda prefix, rest: prefix + rest,
                    st.sampled_from(["https://e.org/", "https://", "urn:x:", "http://[::1]/",
                                     "mailto:", "https://e.org:80/", "", "10.1234/"]),
                    _TEXT)
_FIELDS = st.sampled_from([
    "items__0__work", "items__0__evidence", "items__0__source", "items__1__metric",
    "items__2__id", "items__2__subject", "items__2__object", "items__2__license",
    "items__2__relation", "provider__id", "provider__name", "disclosure__dataSources", "id",
])


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.dictionaries(_FIELDS, _IRIISH, min_size=1, max_size=3))
def test_whatever_validates_is_ingested(served, changes: dict[str, str]) -> None:
    if "id" in changes:  # keep ids fresh (a reused id with other content is a 409 conflict)
        changes["id"] = f"urn:uuid:{uuid.uuid4()}" + changes["id"]
    doc = feed(**changes)
    verdict = served.post("/validate", data=body(doc), headers=JSON_LD)
    assert verdict.status_code == 200, verdict.text[:500]
    ingest = served.post("/feeds", data=body(doc), headers=AUTH)
    if verdict.json()["valid"]:
        assert ingest.status_code in (200, 201), (changes, ingest.text[:500])
    else:
        assert ingest.status_code == 422, (changes, ingest.status_code, ingest.text[:500])


def test_ids_with_brackets_are_stored_under_their_escaped_form(served) -> None:
    """Brackets in a path are valid JSON and browsers escape them: the validator accepts them,
    ingest stores the escaped IRI (graph name, node and keys alike), the same feed sent again
    is 'unchanged', and the feed is found under either spelling."""
    doc = feed(items__2__subject="https://en.wikipedia.org/wiki/A_[1]",
               provider__id="https://e.org/providers/[x]")
    doc["id"] = f"urn:x-test:{uuid.uuid4()}[1]"
    assert served.post("/validate", data=body(doc), headers=JSON_LD).json()["valid"] is True
    first = served.post("/feeds", data=body(doc), headers=AUTH)
    assert first.status_code == 201, first.text[:500]
    stored = first.json()["id"]
    assert stored == doc["id"].replace("[", "%5B").replace("]", "%5D")
    again = served.post("/feeds", data=body(doc), headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "unchanged", again.text[:500]
    for spelling in (stored, doc["id"]):
        found = served.get("/feeds/" + quote(spelling, safe=""),
                           headers={"Accept": "application/n-triples"})
        assert found.status_code == 200, (spelling, found.text[:300])
        assert stored in found.text
