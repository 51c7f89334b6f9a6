"""ORCID, ISSN, ROR and funder ids (feed format v1.1 Work metadata): real identifiers pass and
normalise to one IRI, every single-character typo is caught by the check digit, and the
normalised IRIs are valid RFC 3987 IRIs (issue 16)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alm_ld.identifiers import (
    InvalidMetadataId,
    funder_iri,
    iri_problem,
    issn_check_digit,
    issn_iri,
    issn_value,
    orcid_check_digit,
    orcid_iri,
    ror_checksum,
    ror_iri,
)

# Real identifiers, each checked against its registry's page when this test was written.
REAL_ORCIDS = {
    "0000-0002-1825-0097": "https://orcid.org/0000-0002-1825-0097",  # Josiah Carberry (test)
    "https://orcid.org/0000-0001-5109-3700": "https://orcid.org/0000-0001-5109-3700",
    "http://orcid.org/0000-0002-1694-233x": "https://orcid.org/0000-0002-1694-233X",
    "orcid:0000000218250097": "https://orcid.org/0000-0002-1825-0097",
    " 0000-0002-1825-0097 ": "https://orcid.org/0000-0002-1825-0097",
}
REAL_ISSNS = {
    "1932-6203": "1932-6203",  # PLOS ONE
    "0028-0836": "0028-0836",  # Nature
    "20452322": "2045-2322",  # Scientific Reports
    "urn:issn:0378-5955": "0378-5955",  # Hearing Research (the Wikipedia example)
    "https://portal.issn.org/resource/ISSN/0317-8471": "0317-8471",
    "issn:2167-8359": "2167-8359",  # PeerJ
}
REAL_RORS = {
    "03vek6s52": "https://ror.org/03vek6s52",  # Harvard University
    "https://ror.org/02twcfp32": "https://ror.org/02twcfp32",  # Crossref
    "ror.org/05gq02987": "https://ror.org/05gq02987",  # Brown University
    "HTTPS://ROR.ORG/021NXHR62": "https://ror.org/021nxhr62",  # NSF
    "https://ror.org/008zgvp64/": "https://ror.org/008zgvp64",  # PLOS
}
REAL_FUNDERS = {
    "10.13039/100000001": "https://doi.org/10.13039/100000001",  # NSF in the Funder Registry
    "https://doi.org/10.13039/501100000780": "https://doi.org/10.13039/501100000780",  # EC
    "doi:10.13039/100000002": "https://doi.org/10.13039/100000002",  # NIH
    "https://ror.org/021nxhr62": "https://ror.org/021nxhr62",
}


@pytest.mark.parametrize(("text", "iri"), sorted(REAL_ORCIDS.items()))
def test_real_orcids(text: str, iri: str) -> None:
    assert orcid_iri(text) == iri


@pytest.mark.parametrize(("text", "value"), sorted(REAL_ISSNS.items()))
def test_real_issns(text: str, value: str) -> None:
    assert issn_value(text) == value
    assert issn_iri(text) == "https://portal.issn.org/resource/ISSN/" + value


@pytest.mark.parametrize(("text", "iri"), sorted(REAL_RORS.items()))
def test_real_rors(text: str, iri: str) -> None:
    assert ror_iri(text) == iri


@pytest.mark.parametrize(("text", "iri"), sorted(REAL_FUNDERS.items()))
def test_real_funders(text: str, iri: str) -> None:
    assert funder_iri(text) == iri


@pytest.mark.parametrize(("parse", "text", "rule", "words"), [
    (orcid_iri, "0000-0002-1825-0098", "orcid", "check digit"),
    (orcid_iri, "0000-0002-1825-009", "orcid", "16 characters"),
    (orcid_iri, "https://orcid.org/", "orcid", "16 characters"),
    (orcid_iri, "٠٠٠٠-٠٠٠٢-١٨٢٥-٠٠٩٧", "orcid", "non-ASCII"),  # Arabic-Indic digits
    (orcid_iri, 17, "orcid", "not a string"),
    (issn_value, "1932-6204", "issn", "check digit"),
    (issn_value, "1932-620", "issn", "8 characters"),
    (issn_value, "", "issn", "empty"),
    (ror_iri, "03vek6s53", "ror", "checksum"),
    (ror_iri, "03vel6s52", "ror", "base32"),  # 'l' is not Crockford base32
    (ror_iri, "13vek6s52", "ror", "base32"),  # must start with 0
    (ror_iri, "https://ror.org/03vek6s5\u212a", "ror", "non-ASCII"),  # Kelvin sign
    (funder_iri, "10.1371/journal.pone.0000001", "funder-id", "Funder Registry"),
    (funder_iri, "https://ror.org/03vek6s53", "funder-id", "checksum"),
    (funder_iri, "NSF", "funder-id", "Funder Registry"),
])
def test_typos_name_the_rule_and_the_fix(parse, text: object, rule: str, words: str) -> None:
    with pytest.raises(InvalidMetadataId) as caught:
        parse(text)
    assert caught.value.problem.rule == rule
    assert words in caught.value.problem.message
    assert "\n" not in caught.value.problem.message


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


@st.composite
def orcids(draw: st.DrawFn) -> str:
    digits = draw(st.text(alphabet="0123456789", min_size=15, max_size=15))
    whole = digits + orcid_check_digit(digits)
    return "-".join(whole[i:i + 4] for i in range(0, 16, 4))


@st.composite
def issns(draw: st.DrawFn) -> str:
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    whole = digits + issn_check_digit(digits)
    return f"{whole[:4]}-{whole[4:]}"


@st.composite
def rors(draw: st.DrawFn) -> str:
    stem = "0" + draw(st.text(alphabet=_CROCKFORD, min_size=6, max_size=6))
    return stem + ror_checksum(stem)


def _substitute(text: str, position: int, alphabet: str, data: st.DataObject) -> str:
    char = data.draw(st.sampled_from([c for c in alphabet if c.lower() != text[position].lower()]))
    return text[:position] + char + text[position + 1:]


@given(orcids())
def test_every_well_formed_orcid_normalises_to_a_valid_iri(orcid: str) -> None:
    iri = orcid_iri(orcid)
    assert iri == "https://orcid.org/" + orcid
    assert iri_problem(iri) is None
    assert orcid_iri(iri) == iri  # idempotent
    assert orcid_iri(orcid.replace("-", "").lower()) == iri


@given(orcids(), st.data())
def test_any_single_digit_typo_in_an_orcid_is_caught(orcid: str, data: st.DataObject) -> None:
    positions = [i for i, c in enumerate(orcid) if c != "-"]
    position = data.draw(st.sampled_from(positions))
    alphabet = "0123456789X" if position == len(orcid) - 1 else "0123456789"
    typo = _substitute(orcid, position, alphabet, data)
    with pytest.raises(InvalidMetadataId):
        orcid_iri(typo)


@given(issns(), st.data())
def test_issn_typos_and_transpositions_are_caught(issn: str, data: st.DataObject) -> None:
    assert issn_iri(issn_iri(issn)) == issn_iri(issn)
    assert iri_problem(issn_iri(issn)) is None
    digits = issn.replace("-", "")
    position = data.draw(st.integers(0, 7))
    typo = _substitute(digits, position, "0123456789X" if position == 7 else "0123456789", data)
    with pytest.raises(InvalidMetadataId):
        issn_value(typo)
    swap = data.draw(st.integers(0, 6))
    swapped = digits[:swap] + digits[swap + 1] + digits[swap] + digits[swap + 2:]
    if swapped != digits:  # MOD 11 with weights 8…1 catches every adjacent transposition
        with pytest.raises(InvalidMetadataId):
            issn_value(swapped)


@given(rors(), st.data())
def test_any_single_character_typo_in_a_ror_id_is_caught(ror: str, data: st.DataObject) -> None:
    iri = ror_iri(ror)
    assert iri == "https://ror.org/" + ror and iri_problem(iri) is None
    assert ror_iri(ror.upper()) == iri
    position = data.draw(st.integers(1, 8))
    typo = _substitute(ror, position, _CROCKFORD if position < 7 else "0123456789", data)
    with pytest.raises(InvalidMetadataId):
        ror_iri(typo)


@given(st.text(max_size=40))
def test_arbitrary_text_is_an_iri_or_a_problem_never_a_crash(text: str) -> None:
    for parse in (orcid_iri, issn_iri, ror_iri, funder_iri):
        try:
            iri = parse(text)
        except InvalidMetadataId as error:
            assert error.problem.rule in ("orcid", "issn", "ror", "funder-id")
        else:
            assert iri_problem(iri) is None
