"""Identifier normalisation: every accepted spelling meets in one canonical IRI."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import iri_problem, is_absolute_iri, parse_work_id, work_iri
from alm_ld.sparql_text import iri as sparql_iri
from alm_ld.sparql_text import literal

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


# ---------------------------------------------------------------------------------------------
# The IRI checker, with pyoxigraph.NamedNode as the arbiter of what the store accepts

_IRI_ALPHABET = st.sampled_from(list(
    "aZ09-._~!$&'()*+,;=:@/?#%[]<>\"{}|\\^` \t\n\x00\x12\x7f\x85\xa0\u2028\ud7ff\ue000\uf8ff"
    "\ufdd0\ufdcf\ufdf0\uffef\ufffd\ufffe\U0001f600\U0001fffe\U000e0001\U000e1000\U000f0000"
    "\U00100000üABCDEFvV")) | st.characters(codec="utf-8")
_IRI_LIKE = st.one_of(
    st.text(_IRI_ALPHABET, max_size=40),
    st.builds(lambda head, rest: head + rest,
              st.sampled_from(["https://", "http://[", "http://[::1]", "urn:", "a:", "https://e.org",
                               "https://u@e.org:", "http://[v1.", "mailto:", "http:/", "https://e.org/%"]),
              st.text(_IRI_ALPHABET, max_size=30)),
    st.from_regex(r"[a-z][a-z0-9+.-]{0,5}:(//[^/?#]{0,12})?[^?#]{0,12}(\?[^#]{0,8})?(#.{0,8})?",
                  fullmatch=True),
)


@settings(max_examples=1500, deadline=None)
@given(_IRI_LIKE)
def test_what_the_checker_accepts_oxigraph_accepts(text: str) -> None:
    import pyoxigraph

    if iri_problem(text) is None:
        pyoxigraph.NamedNode(text)  # raises ValueError on an IRI the store would refuse
        assert is_absolute_iri(text)
        assert sparql_iri(text) == f"<{text}>"


@settings(max_examples=300, deadline=None)
@given(st.text(_IRI_ALPHABET, max_size=40))
def test_every_work_iri_is_accepted_by_oxigraph(text: str) -> None:
    import pyoxigraph

    try:
        iri = work_iri(text)
    except InvalidIdentifier:
        return
    pyoxigraph.NamedNode(iri)


@pytest.mark.parametrize("bad", [
    "https://e[.org/x", "https://e.org/%zz", "https://e.org/a%", "https://ror.org/\x85",
    "urn:uuid:\x12", "https://e.org/a>}UNION{}", "https://e.org/a b", "https://e.org/a\"b",
    "https://e.org/a{b", "https://e.org/a|b", "https://e.org/a\\b", "https://e.org/a^b",
    "https://e.org/a`b", "https://e.org/[x]", "https://e.org:port/", "http://[1.2.3]/",
    "http://[::1%25eth0]/", "https://e.org/\ue000", "https://e.org/\ufffe", "no scheme",
    "1a:b", "", "https://e.org/\ud800",
])
def test_known_bad_iris_are_refused_with_a_clear_message(bad: str) -> None:
    import pyoxigraph

    assert iri_problem(bad) is not None
    with pytest.raises(ValueError):
        pyoxigraph.NamedNode(bad)
    with pytest.raises(InvalidIdentifier) as info:
        sparql_iri(bad)
    assert repr(bad)[:30] in info.value.detail
    assert "absolute IRI (RFC 3987)" in info.value.detail
    assert info.value.status == 400


@pytest.mark.parametrize("bad", ["https://e[.org/x", "https://e.org/a>}UNION{} SERVICE<x>{}",
                                 "https://e.org/%zz", "https://a\uff0fb.org/x"])
def test_bad_work_urls_name_the_value_and_the_accepted_forms(bad: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_work_id(bad)
    assert repr(bad) in info.value.detail and "Accepted forms" in info.value.detail


@pytest.mark.parametrize("good", [
    "https://e.org/", "urn:uuid:c35ef922-4552-51c0-a144-4ccef935d1b6", "mailto:a@e.org",
    "http://[::1]/x", "http://[v1.x]/", "https://u:p@e.org:8080/a?b#c", "https://ü.org/ü",
    "https://e.org/?\ue000", "https://e.org/%41", "a:", "http://1.2.3.4/",
])
def test_good_iris_pass_both(good: str) -> None:
    import pyoxigraph

    assert iri_problem(good) is None
    pyoxigraph.NamedNode(good)


def test_literal_escapes_what_breaks_a_string() -> None:
    assert literal('a"b\\c\nd\re') == '"a\\"b\\\\c\\nd\\re"'
    assert literal(5) == "5"
    assert literal("x", lang="en-GB") == '"x"@en-GB'
    assert literal("2026-01-01", "http://www.w3.org/2001/XMLSchema#date") == (
        '"2026-01-01"^^<http://www.w3.org/2001/XMLSchema#date>')
    with pytest.raises(InvalidIdentifier):
        literal("x", datatype="http://e.org/a>b")
