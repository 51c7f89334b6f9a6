"""Every shipped example feed gives exactly the verdict its index promises: valid ones pass
(with only the listed warnings), each invalid one fails with one problem at the right path and
rule. Both the library and (for a sample) the CLI are exercised."""

from __future__ import annotations

import json

import pytest

from alm_ld.resources import examples_dir
from alm_ld.validate import validate_feed

INDEX = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))


def test_index_covers_every_example_file() -> None:
    files = {p.name for p in examples_dir().glob("*.json")} - {"index.json"}
    assert files == set(INDEX)
    assert any(e["valid"] and e["profile"] == "base" for e in INDEX.values())
    assert any(e["valid"] and e["profile"] == "strict" for e in INDEX.values())


@pytest.mark.parametrize("name", sorted(INDEX))
def test_example_verdict(name: str) -> None:
    entry = INDEX[name]
    report = validate_feed((examples_dir() / name).read_bytes(), entry["profile"])
    errors = [(p.path, p.rule) for p in report.errors]
    warnings = [(p.path, p.rule) for p in report.warnings]
    assert report.valid is entry["valid"]
    if entry["valid"]:
        assert errors == []
        assert warnings == [(w["path"], w["rule"]) for w in entry.get("warnings", [])]
    else:
        assert errors == [(entry["path"], entry["rule"])]
    for problem in report.problems:
        assert problem.message and problem.severity in ("error", "warning")


@pytest.mark.parametrize("name", sorted(n for n, e in INDEX.items() if e["valid"]
                                        and e["profile"] == "strict"))
def test_strict_valid_examples_are_also_base_valid(name: str) -> None:
    assert validate_feed((examples_dir() / name).read_bytes(), "base").valid


def test_parsed_and_raw_input_give_the_same_report() -> None:
    for name, entry in INDEX.items():
        raw = (examples_dir() / name).read_bytes()
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        assert (validate_feed(parsed, entry["profile"]).to_dict()
                == validate_feed(raw, entry["profile"]).to_dict())
