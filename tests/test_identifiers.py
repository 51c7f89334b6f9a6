"""Identifier normalisation: every accepted spelling meets in one canonical IRI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import is_absolute_iri, parse_work_id, work_iri

PLOS = "https://doi.org/10.1371/journal.pone.0000001"


@pytest.mark.parametrize("spelling", [
    "10.1371/journal.pone.0000001",
    "10.1371/JOURNAL.PONE.0000001",
    "doi:10.1371/journal.pone.0000001",
    "DOI:10.1371/journal.pone.0000001",
    "doi: 10.1371/journal.pone.0000001",
    "https://doi.org/10.1371/journal.pone.0000001",
    "http://doi.org/10.1371/journal.pone.0000001",
    "https://dx.doi.org/10.1371/journal.pone.0000001",
    "HTTPS://DX.DOI.ORG/10.1371/JOURNAL.PONE.0000001",
    "https://doi.org/10.1371%2Fjournal.pone.0000001",
    "doi:https://doi.org/10.1371/journal.pone.0000001",
    "  10.1371/journal.pone.0000001  ",
])
def test_doi_spellings_meet(spelling: str) -> None:
    assert work_iri(spelling) == PLOS


@pytest.mark.parametrize(("spelling", "iri"), [
    ("pmid:17183631", "https://pubmed.ncbi.nlm.nih.gov/17183631"),
    ("PMID:17183631", "https://pubmed.ncbi.nlm.nih.gov/17183631"),
    ("https://pubmed.ncbi.nlm.nih.gov/17183631/", "https://pubmed.ncbi.nlm.nih.gov/17183631"),
    ("pmcid:PMC1762330", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1762330"),
    ("pmcid:pmc1762330", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1762330"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1762330/",
     "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1762330"),
    ("arxiv:2101.00001", "https://arxiv.org/abs/2101.00001"),
    ("arXiv:2101.00001v2", "https://arxiv.org/abs/2101.00001v2"),
    ("arxiv:hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001"),
    ("https://arxiv.org/abs/2101.00001", "https://arxiv.org/abs/2101.00001"),
    ("https://Example.ORG/paper/1", "https://example.org/paper/1"),
])
def test_other_schemes(spelling: str, iri: str) -> None:
    assert work_iri(spelling) == iri


def test_doi_with_iri_unsafe_characters_is_escaped() -> None:
    sici = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    iri = work_iri(sici)
    assert "<" not in iri and ">" not in iri
    assert is_absolute_iri(iri)
    assert parse_work_id(sici).value == sici.lower()


@pytest.mark.parametrize("bad", [
    "", "   ", "10.1/x", "doi:", "doi:11.1234/x", "pmid:abc", "pmid:0", "pmcid:XYZ",
    "arxiv:not-an-id", "http://example.org/insecure", "ftp://example.org/x", "just text",
    "10.1371/has space", None, 42, ["10.1371/x"],
])
def test_bad_identifiers_name_value_and_forms(bad: object) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_work_id(bad)
    assert repr(bad) in info.value.detail or str(bad) in info.value.detail
    assert "Accepted forms" in info.value.detail
    assert info.value.status == 400


@given(st.from_regex(r"10\.[0-9]{4,9}/[A-Za-z0-9._;()/:-]{1,40}", fullmatch=True))
def test_any_case_of_a_doi_is_one_work(doi: str) -> None:
    assert work_iri(doi.upper()) == work_iri(doi.lower()) == work_iri("doi:" + doi)
    assert work_iri(work_iri(doi)) == work_iri(doi)


@given(st.text(max_size=60))
def test_never_crashes(text: str) -> None:
    try:
        iri = work_iri(text)
    except InvalidIdentifier:
        return
    assert is_absolute_iri(iri)


def test_doi_with_square_brackets_gives_an_iri_oxigraph_accepts() -> None:
    """SICI-style DOIs (Ecology's 10.1890/…87[2832:TIOPMA]2.0.CO;2) carry brackets."""
    import pyoxigraph

    iri = work_iri("10.1890/0012-9658(2006)87[2832:TIOPMA]2.0.CO;2")
    assert iri == "https://doi.org/10.1890/0012-9658(2006)87%5B2832:tiopma%5D2.0.co;2"
    pyoxigraph.NamedNode(iri)  # raises on an invalid IRI
