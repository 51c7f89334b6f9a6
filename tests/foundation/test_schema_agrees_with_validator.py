"""A schema-only validator and ``alm-ld validate`` give the same verdict on every example.

Providers check feeds with their own tools (Ajv, check-jsonschema, jsonschema); those see only
the JSON Schema. For every packaged example whose rule a schema can express (``schema.*`` rules
and the strict profile's closed ``disclosure``), the schema verdict must equal the validator's.
Rules a schema cannot express (period order, duplicates, dates after ``generated``, identifier
normalisation, JSON nesting depth) are listed in
:data:`SEMANTIC_ONLY` and documented in docs/feed-format.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from alm_ld.resources import examples_dir, schema_path
from alm_ld.validate import validate_feed

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"

SEMANTIC_ONLY = {"date-after-generated", "duplicate-count", "duplicate-event", "empty", "iri",
                 "identifier", "json-parse", "period-order", "too-deep",
                 # check digits (ORCID MOD 11-2, ISSN MOD 11, ROR MOD 97-10) and the funder
                 # DOI prefix: the schema only asks for non-empty strings
                 "orcid", "issn", "ror", "funder-id"}

INDEX = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))


def _schema_valid(profile: str, document: object) -> bool:
    schema = json.loads(schema_path(f"feed-{profile}.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return not any(True for _ in validator.iter_errors(document))


@pytest.mark.parametrize("name", sorted(INDEX))
def test_schema_verdict_matches_validator(name):
    entry = INDEX[name]
    if not entry["valid"] and entry["rule"] in SEMANTIC_ONLY:
        pytest.skip(f"{entry['rule']} is a semantic rule no JSON Schema can express")
    document = json.loads((examples_dir() / name).read_text(encoding="utf-8"))
    assert _schema_valid(entry["profile"], document) is entry["valid"]


@cache
def _check_jsonschema_failures(profile: str) -> frozenset[str]:
    """Example file names check-jsonschema (the CLI providers run; pinned in the test extra)
    rejects under ``profile``'s schema: one run over every example of that profile."""
    names = sorted(n for n, e in INDEX.items() if e["profile"] == profile)
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "-o", "json", "--schemafile",
         str(schema_path(f"feed-{profile}.schema.json")),
         *(str(examples_dir() / n) for n in names)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    failed = {Path(e["filename"]).name for e in report.get("errors", [])}
    failed |= {Path(e["filename"]).name for e in report.get("parse_errors", [])}
    return frozenset(failed)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_check_jsonschema_verdict_matches_alm_ld_validate(name):
    """check-jsonschema's verdict equals ``alm-ld validate``'s on every example whose rule a
    schema can express (a file that is not JSON is refused by both)."""
    if not CHECK_JSONSCHEMA.exists():
        pytest.fail("check-jsonschema is not installed (pip install -r requirements.lock)")
    entry = INDEX[name]
    report = validate_feed((examples_dir() / name).read_bytes(), entry["profile"])
    schema_valid = name not in _check_jsonschema_failures(entry["profile"])
    if not entry["valid"] and entry["rule"] in SEMANTIC_ONLY | {"json-parse", "empty"}:
        if entry["rule"] in ("json-parse", "empty"):
            assert schema_valid is False  # not JSON: refused by both
        else:
            pytest.skip(f"{entry['rule']} is a semantic rule no JSON Schema can express")
        return
    assert schema_valid is report.valid is entry["valid"]
