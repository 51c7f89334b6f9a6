"""Every ``alm:`` term the code writes or queries is defined in the packaged vocabulary.

SPARQL strings, N-Triples templates and JSON-LD contexts spell vocabulary terms as text, where
the closed namespace (``alm_ld.vocab.ALM``) cannot see them; a typo there would silently match
nothing or write an undefined IRI. This test reads the source of the package (and the packaged
contexts) and checks each term it finds against ``alm_ld/data/vocab.ttl``.
"""

from __future__ import annotations

import re
from pathlib import Path

from alm_ld.analytics.alerts import ALERT_TYPES
from alm_ld.vocab import ALM_NS, DISCLOSURE_KEYS, vocab_graph

ROOT = Path(__file__).resolve().parents[1]
SCANNED = [ROOT / "alm_ld", ROOT / "contexts"]
SUFFIXES = {".py", ".html", ".js", ".jsonld", ".json", ".rq"}
_TERM = r"([A-Za-z_][A-Za-z0-9_-]*)"
PATTERNS = [
    re.compile(r"(?<![\w-])alm:" + _TERM),                     # prefixed: SPARQL, JSON-LD
    re.compile(re.escape(ALM_NS) + _TERM),                     # full IRI
    re.compile(r"ALM_NS\s*\+\s*[\"']" + _TERM),                # ALM_NS + "term"
    re.compile(r"\{ALM_NS\}" + _TERM),                         # f"{ALM_NS}term"
    re.compile(r"\balm\(\s*[\"']" + _TERM),                    # mapping.alm("term")
    re.compile(r"\bALM\." + _TERM),                            # ALM.term
    re.compile(r"\bALM\[\s*[\"']" + _TERM),                    # ALM["term"]
]


def defined_terms() -> set[str]:
    return {str(s)[len(ALM_NS):] for s in vocab_graph().subjects()
            if str(s).startswith(ALM_NS)}


def terms_in(text: str) -> set[str]:
    return {m.group(1) for pattern in PATTERNS for m in pattern.finditer(text)}


def used_terms() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for base in SCANNED:
        for path in base.rglob("*"):
            if path.suffix not in SUFFIXES or "vendor" in path.parts or not path.is_file():
                continue
            for term in terms_in(path.read_text(encoding="utf-8")):
                used.setdefault(term, set()).add(str(path.relative_to(ROOT)))
    return used


def test_scanner_sees_typos() -> None:
    text = 'q = "?a alm:vaule ?v"\nx = ALM_NS + "Obsrvation"\ny = f"<{ALM_NS}sequnce>"'
    assert terms_in(text) - defined_terms() == {"vaule", "Obsrvation", "sequnce"}


def test_every_alm_term_used_in_the_package_is_defined() -> None:
    used = used_terms()
    assert len(used) > 40, "the scan found too few terms: are the patterns still right?"
    undefined = {term: sorted(paths) for term, paths in used.items()
                 if term not in defined_terms()}
    assert undefined == {}


def test_terms_built_at_run_time_are_defined() -> None:
    """Names the code joins to the namespace from a list rather than a literal."""
    assert set(ALERT_TYPES) | set(DISCLOSURE_KEYS) <= defined_terms()
