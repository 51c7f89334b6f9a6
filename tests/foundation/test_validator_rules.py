"""Validator behaviour beyond the examples: all problems at once, limits, normalisation,
fast and detailed schema engines agreeing, and hostile input never crashing it."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alm_ld.config import Settings
from alm_ld.errors import InvalidFeed, UsageError
from alm_ld.resources import examples_dir
from alm_ld.validate import parse_feed_bytes, validate_feed
from alm_ld.validation import schema_check

BASE = json.loads((examples_dir() / "valid-base.json").read_text(encoding="utf-8"))
STRICT = json.loads((examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))


def test_reports_every_problem_at_once() -> None:
    doc = copy.deepcopy(BASE)
    doc["items"][0]["value"] = -1
    doc["items"][1]["work"] = "not an id"
    doc["items"][2]["occurred"] = "2030-01-01T00:00:00Z"
    rules = {(p.path, p.rule) for p in validate_feed(doc).problems}
    assert rules == {("$.items[0].value", "schema.minimum"),
                     ("$.items[1].work", "identifier"),
                     ("$.items[2].occurred", "date-after-generated")}


def test_messages_say_what_and_how() -> None:
    doc = copy.deepcopy(BASE)
    doc["items"][0]["vaule"] = doc["items"][0].pop("value")
    messages = {p.rule: p.message for p in validate_feed(doc).problems}
    assert "Did you mean 'value'" in messages["schema.additionalProperties"]
    assert "Missing required property 'value'" in messages["schema.required"]


def test_clock_skew_of_five_minutes_is_allowed() -> None:
    doc = copy.deepcopy(BASE)
    doc["items"][2]["occurred"] = "2026-11-24T10:04:59Z"
    doc["items"][0]["periodEnd"] = "2026-11-24"
    assert validate_feed(doc).valid
    doc["items"][0]["periodEnd"] = "2026-11-26"
    assert [p.rule for p in validate_feed(doc).problems] == ["date-after-generated"]


def test_offsets_are_compared_as_instants() -> None:
    doc = copy.deepcopy(BASE)
    doc["items"][2]["occurred"] = "2026-11-24T11:00:00+02:00"  # 09:00Z, before generated
    assert validate_feed(doc).valid


def test_duplicate_counts_compare_normalised_keys() -> None:
    doc = copy.deepcopy(BASE)
    twin = dict(doc["items"][0], work="doi:10.1371/JOURNAL.PONE.0000001",
                metric="https://w3id.org/alm-ld/metrics/citations",
                source="https://w3id.org/alm-ld/sources/crossref")
    doc["items"].append(twin)
    assert [(p.path, p.rule) for p in validate_feed(doc).problems] == [
        ("$.items[3]", "duplicate-count")]
    doc["items"][3]["source"] = "opencitations"
    assert validate_feed(doc).valid


def test_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        validate_feed(BASE, "lax")


def test_too_large_uses_the_max_body_setting() -> None:
    raw = json.dumps(BASE).encode()
    report = validate_feed(raw, settings=Settings(max_body=100))
    assert [(p.path, p.rule) for p in report.problems] == [("$", "too-large")]
    assert validate_feed(raw, settings=Settings(max_body=len(raw))).valid


def test_parse_errors_carry_line_and_column() -> None:
    problem = validate_feed(b'{\n  "type": "Feed",\n  oops\n}').problems[0]
    assert problem.rule == "json-parse"
    assert "line 3, column 3" in problem.message


@pytest.mark.parametrize("raw,rule", [
    (b"", "empty"), (b"   \n", "empty"), (b"\xff\xfe{}", "encoding"),
    (b"[" * 5000 + b"]" * 5000, "too-deep"), (b"[" * 200000, "too-deep"),
    (b'{"value": NaN}', "json-parse"), (b"nul", "json-parse"),
])
def test_unparseable_input_is_one_clear_problem(raw: bytes, rule: str) -> None:
    report = validate_feed(raw)
    assert not report.valid
    assert [p.rule for p in report.problems] == [rule]


def test_non_object_top_level() -> None:
    report = validate_feed(b"[]")
    assert [(p.path, p.rule) for p in report.problems] == [("$", "schema.type")]


def test_parse_feed_bytes_raises_invalid_feed_with_problem() -> None:
    with pytest.raises(InvalidFeed) as caught:
        parse_feed_bytes(b"{")
    assert caught.value.problems[0]["rule"] == "json-parse"
    assert caught.value.status == 422
    assert parse_feed_bytes(json.dumps(BASE).encode()) == BASE


def test_python_objects_that_are_not_json_are_problems() -> None:
    assert validate_feed({"items": {1, 2}}).problems[0].rule == "not-json"
    assert validate_feed({1: "x"}).problems[0].rule == "not-json"


def test_huge_integers_do_not_break_the_fast_path() -> None:
    doc = copy.deepcopy(BASE)
    doc["items"][0]["value"] = 10**40
    assert validate_feed(doc).valid


# --- fuzzing -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25)
ITEM_KEYS = ["type", "work", "metric", "value", "aggregation", "periodStart", "periodEnd",
             "source", "retrieved", "evidence", "id", "subject", "relation", "object",
             "occurred", "license", "title", "issued", "sameAs"]
FIELD_VALUES = st.one_of(
    json_values, st.sampled_from([
        "Count", "Event", "Work", "interval", "cumulative", "views", "cites", "2026-11-24",
        "2026-11-24T10:00:00Z", "2027-01-01", "10.1371/journal.pone.0000001", "pmid:1",
        "https://example.org/x", "urn:x", "2026-13-45", "doi:", "https://w3id.org/alm-ld/x"]))
items = st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), FIELD_VALUES, max_size=10),
                 max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_values, profile=st.sampled_from(["base", "strict"]))
def test_fuzz_any_json_never_crashes(doc: object, profile: str) -> None:
    report = validate_feed(doc, profile)
    json.dumps(report.to_dict())
    assert report.valid is False or isinstance(doc, dict)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated=items, profile=st.sampled_from(["base", "strict"]))
def test_fuzz_feed_shaped_input(mutated: list, profile: str) -> None:
    doc = copy.deepcopy(STRICT)
    doc["items"] = mutated
    report = validate_feed(doc, profile)
    assert all(p.path.startswith("$") and p.rule and p.message for p in report.problems)
    # The fast engine (jsonschema-rs) and the detailed one (jsonschema) agree on validity.
    fast, detailed = schema_check._validators(profile)
    assert fast.is_valid(doc) == detailed.is_valid(doc)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200))
def test_fuzz_bytes_never_crash(raw: bytes) -> None:
    """Any bytes give a report (never an exception): not valid, with at least one located,
    named, explained problem, and serialisable as the API's JSON answer."""
    report = validate_feed(raw)
    assert report.valid is False and report.problems
    assert all(p.path.startswith("$") and p.rule and p.message for p in report.problems)
    json.dumps(report.to_dict())


def _whole_walk(doc: object, profile: str) -> list[tuple]:
    _, detailed = schema_check._validators(profile)
    return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message)
                  for e in detailed.iter_errors(doc))


def _split_walk(doc: object, profile: str) -> list[tuple]:
    return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message)
                  for e in schema_check.schema_errors(doc, profile))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated=items, profile=st.sampled_from(["base", "strict"]), top=json_values)
def test_fuzz_item_wise_report_equals_whole_document_report(mutated: list, profile: str,
                                                            top: object) -> None:
    doc = copy.deepcopy(STRICT)
    doc["items"] = [*mutated, *STRICT["items"]]
    doc["provider"] = top if isinstance(top, dict) else doc["provider"]
    assert _split_walk(doc, profile) == _whole_walk(doc, profile)
