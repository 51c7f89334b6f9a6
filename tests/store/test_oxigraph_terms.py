"""Oxigraph terms become the rdflib terms the other backends make (our own conversion, not
oxrdflib's private ``_converter``): plain strings carry no explicit xsd:string, language tags
and datatypes survive, and anything else is refused rather than guessed."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from alm_ld.store.oxigraph import from_ox

XSD = "http://www.w3.org/2001/XMLSchema#"


def test_terms_round_to_rdflib() -> None:
    assert from_ox(ox.NamedNode("https://example.org/w/1")) == URIRef("https://example.org/w/1")
    blank = from_ox(ox.BlankNode("b0"))
    assert isinstance(blank, BNode) and str(blank) == "b0"
    plain = from_ox(ox.Literal("views"))
    assert plain == Literal("views") and plain.datatype is None and plain.language is None
    tagged = from_ox(ox.Literal("Ansichten", language="de"))
    assert tagged == Literal("Ansichten", lang="de")
    typed = from_ox(ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")))
    assert typed == Literal(42) and typed.datatype == URIRef(XSD + "integer")


def test_non_terms_are_refused() -> None:
    with pytest.raises(ValueError, match="not an Oxigraph term"):
        from_ox(ox.DefaultGraph())
