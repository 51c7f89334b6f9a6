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

import pytest
from jsonschema import Draft202012Validator

from alm_ld.resources import examples_dir, schema_path

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
