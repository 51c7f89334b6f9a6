"""The architecture stays honest (README "Architecture", docs/MODEL.md): inner layers never
import outer ones, the two IO packages never import each other, every third-party library has
named owner modules, and every third-party import is a declared, pinned dependency.

Every import counts: absolute, relative (``from .x import y``), ``from alm_ld import store``,
imports inside functions and inside ``if TYPE_CHECKING:`` blocks.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "alm_ld"

# Layers from the inside out. A module may import its own component (the top-level module or
# subpackage it lives in) and any component of an inner layer. Components of the same layer may
# import each other only where the layer is in PEERS_MAY_IMPORT: base and core are pure
# definitions and functions; harvest and store are both IO and stay independent (the pipeline
# joins them); so are pipeline (feeds in) and exchange (dumps out), which both sit above
# analytics; the CLI's ``serve`` starts the web app, so cli sits above web.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("base", frozenset({"__init__", "errors", "config", "resources", "vocab", "instants"})),
    ("core", frozenset({"identifiers", "validate", "validation", "mapping", "jsonld",
                        "sparql_text"})),
    ("io", frozenset({"harvest", "store"})),
    ("analytics", frozenset({"analytics"})),
    ("pipeline", frozenset({"pipeline", "exchange"})),
    ("web", frozenset({"web"})),
    ("cli", frozenset({"cli"})),
    ("main", frozenset({"__main__"})),
)
PEERS_MAY_IMPORT = frozenset({"base", "core"})
RANK = {component: rank for rank, (_, members) in enumerate(LAYERS) for component in members}
LAYER_NAME = {component: name for name, members in LAYERS for component in members}

# Third-party library (top-level import name) -> the only module paths (prefixes relative to
# alm_ld/) that may import it. Every third-party import needs an entry here.
OWNERS: dict[str, tuple[str, ...]] = {
    "requests": ("harvest/http.py",),
    "flask": ("web/",),
    "werkzeug": ("web/",),
    "waitress": ("web/production.py",),
    "pyld": ("jsonld.py",),
    "pyshacl": ("validation/shacl.py",),
    "jsonschema": ("validation/schema_check.py",),
    "jsonschema_rs": ("validation/schema_check.py",),
    # store/ is the database; exchange/ only parses and writes N-Triples/N-Quads of dumps
    "pyoxigraph": ("store/", "exchange/"),
    "oxrdflib": ("store/oxigraph.py",),
    "pyparsing": ("web/sparql_check.py",),  # rdflib's SPARQL parser raises its ParseException
    "tqdm": ("cli/",),
    "numpy": ("analytics/works_columns.py",),
    "rdflib": ("vocab.py", "validation/", "store/", "analytics/", "pipeline/", "web/"),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts)


def _component(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _is_module(dotted: str) -> bool:
    """Whether ``alm_ld.a.b`` names a module or package in the tree (not an attribute)."""
    parts = dotted.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports_in(source: str, rel: Path) -> tuple[str, ...]:
    """Every module the text of alm_ld/``rel`` imports, absolute and dotted (relative imports
    resolved; ``from alm_ld import store`` also names the store package)."""
    package = ["alm_ld", *rel.parts[:-1]]
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                assert len(base) >= 1, f"{rel}: relative import above the package"
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            if module == "alm_ld" or module.startswith("alm_ld."):
                names.extend(f"{module}.{alias.name}" for alias in node.names
                             if _is_module(f"{module}.{alias.name}"))
    return tuple(names)


@cache
def _imports(path: Path) -> tuple[str, ...]:
    return _imports_in(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE))


def _third_party(name: str) -> str | None:
    top = name.split(".")[0]
    if not top or top in ("alm_ld", "__future__") or top in sys.stdlib_module_names:
        return None
    return top


def _target_component(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1] if _is_module(".".join(parts[:2])) else "__init__"


def _layer_violations(rel: Path, names: tuple[str, ...]) -> list[str]:
    source = rel.parts[0].removesuffix(".py")
    if source not in RANK:
        return [f"{source} is not assigned a layer in tests/test_layers.py"]
    found = []
    for name in names:
        if not (name == "alm_ld" or name.startswith("alm_ld.")):
            continue
        target = _target_component(name)
        if target not in RANK:
            found.append(f"{rel} imports {name}, which has no layer")
        elif target == source:
            continue
        elif RANK[target] > RANK[source]:
            found.append(f"{rel} ({LAYER_NAME[source]}) imports the outer layer {name} "
                         f"({LAYER_NAME[target]})")
        elif RANK[target] == RANK[source] and LAYER_NAME[source] not in PEERS_MAY_IMPORT:
            found.append(f"{rel} imports {name}: {source} and {target} are both in the "
                         f"{LAYER_NAME[source]} layer and must stay independent")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_layers(path: Path) -> None:
    assert _layer_violations(path.relative_to(PACKAGE), _imports(path)) == []


def test_the_checker_sees_every_kind_of_import() -> None:
    """The rules above can fail: relative, from-package and function-level imports are seen,
    and an IO peer, an outer layer and an unowned library are each reported."""
    source = """
from __future__ import annotations
from . import http
from ..store import base
from alm_ld import pipeline

def later():
    import flask
"""
    rel = Path("harvest/example.py")
    names = _imports_in(source, rel)
    assert {"alm_ld.harvest.http", "alm_ld.store", "alm_ld.pipeline", "flask"} <= set(names)
    found = _layer_violations(rel, names)
    assert any("must stay independent" in f and "alm_ld.store" in f for f in found)
    assert any("outer layer alm_ld.pipeline" in f for f in found)
    assert not any("harvest.http" in f for f in found)
    assert not rel.as_posix().startswith(OWNERS["flask"])


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_third_party_owners(path: Path) -> None:
    rel = path.relative_to(PACKAGE).as_posix()
    for name in _imports(path):
        top = _third_party(name)
        if top is None:
            continue
        assert top in OWNERS, f"{rel} imports {top}, which has no owner in tests/test_layers.py"
        assert rel.startswith(OWNERS[top]), f"{rel} imports {top}; only {OWNERS[top]} may"
    source = path.read_text(encoding="utf-8")
    if rel != "config.py":
        assert "os.environ" not in source and "getenv" not in source, (
            f"{rel} reads the environment; only config.py may")


def test_the_rules_have_no_stale_entries() -> None:
    """Every layer component and every owner path exists, and every owned library is used."""
    for component in RANK:
        assert ((PACKAGE / f"{component}.py").is_file()
                or (PACKAGE / component / "__init__.py").is_file()), (
            f"LAYERS names {component}, which is not in alm_ld/")
    present = {p.parts[0].removesuffix(".py") for p in
               (m.relative_to(PACKAGE) for m in _modules())}
    assert present == set(RANK), f"components without a layer: {present - set(RANK)}"
    used: set[str] = set()
    for path in _modules():
        used.update(t for t in map(_third_party, _imports(path)) if t)
    assert set(OWNERS) == used, (
        f"owned but unused: {set(OWNERS) - used}; used but unowned: {used - set(OWNERS)}")
    for library, prefixes in OWNERS.items():
        for prefix in prefixes:
            importers = [path for path in _modules()
                         if path.relative_to(PACKAGE).as_posix().startswith(prefix)
                         and library in map(_third_party, _imports(path))]
            assert importers, f"OWNERS[{library!r}] names {prefix}, which does not import it"


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}


def _locked() -> set[str]:
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return {canonicalize_name(m.group(1)) for line in lines
            if (m := re.match(r"\s*([A-Za-z0-9_.\-]+)\s*==", line))}


def test_every_third_party_import_is_a_declared_and_pinned_dependency() -> None:
    """A library used by alm_ld/ but missing from pyproject works here only by accident
    (another package pulled it in) and breaks a fresh install of the wheel."""
    distributions = packages_distributions()
    declared, locked = _declared(), _locked()
    for library in OWNERS:
        assert library in distributions, f"{library} is not installed"
        names = {canonicalize_name(d) for d in distributions[library]}
        assert names & declared, f"{library} ({names}) is not in pyproject dependencies"
        assert names & locked, f"{library} ({names}) is not pinned in requirements.lock"
