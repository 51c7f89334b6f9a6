"""The closed namespace ``ALM`` takes its term names from ``alm_ld/data/vocab-terms.json``, an
index of ``vocab.ttl`` that names the Turtle's sha256, instead of parsing the Turtle in every
process (~135 ms of rdflib); an index that does not match the Turtle is never believed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alm_ld import vocab
from alm_ld.resources import vocab_terms_path


def test_the_shipped_index_is_the_one_the_vocabulary_gives() -> None:
    shipped = json.loads(vocab_terms_path().read_text(encoding="utf-8"))
    assert shipped == vocab.terms_index(), (
        "alm_ld/data/vocab-terms.json is stale: run `python tools/build_vocab.py` "
        "(or build_vocab.write_terms_index()) after editing the vocabulary")
    assert "pairState" in shipped["terms"][vocab.ALM_NS]


def test_an_index_made_from_another_vocabulary_is_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "vocab-terms.json"
    stale.write_text(json.dumps({"sha256": "0" * 64, "terms": {vocab.ALM_NS: ["Bogus"]}}))
    monkeypatch.setattr("alm_ld.resources.vocab_terms_path", lambda: stale)
    vocab._terms_index.cache_clear()
    try:
        terms = vocab._terms(vocab.ALM_NS)
    finally:
        vocab._terms_index.cache_clear()
    assert "Bogus" not in terms and "Count" in terms and "pairState" in terms


def test_the_closed_namespace_still_refuses_a_misspelt_term() -> None:
    assert str(vocab.ALM.value) == vocab.ALM_NS + "value"
    with pytest.raises(AttributeError):
        vocab.ALM.valeu  # noqa: B018 - the attribute access is the test
