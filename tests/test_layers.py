"""The architecture stays honest: inner layers never import outer ones, and each third-party
library has one owner module (DESIGN.md §6)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "alm_ld"

# Rank of each top-level module or subpackage; a module may import only equal or lower ranks.
LAYERS = {
    "__init__": 0, "errors": 0, "config": 0, "vocab": 0, "resources": 0,
    "identifiers": 1, "validate": 1, "validation": 1, "mapping": 1, "jsonld": 1, "problems": 1,
    "timeutil": 1, "mapping_jsonld": 1, "sparql_text": 1,
    "harvest": 2, "store": 2,
    "pipeline": 3, "ingest": 3, "analytics": 3, "demo": 3,
    "web": 4, "cli": 4, "__main__": 4,
}

# Third-party library -> the only module paths (prefixes, relative to alm_ld/) that may import it.
OWNERS = {
    "requests": ("harvest/http.py",),
    "flask": ("web/",),
    "pyld": ("jsonld.py",),
    "pyshacl": ("validation/shacl.py",),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts)


def _layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_layers(path: Path) -> None:
    layer = _layer_of(path)
    assert layer in LAYERS, f"{layer} is not assigned a layer in tests/test_layers.py"
    for name in _imports(path):
        if name.startswith("alm_ld."):
            target = name.split(".")[1]
            assert target in LAYERS, f"{path.name} imports unknown module {name}"
            assert LAYERS[target] <= LAYERS[layer], (
                f"{path.relative_to(PACKAGE)} (layer {layer}) imports outer layer {name}")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_third_party_owners(path: Path) -> None:
    rel = path.relative_to(PACKAGE).as_posix()
    for name in _imports(path):
        top = name.split(".")[0]
        if top in OWNERS:
            assert rel.startswith(OWNERS[top]), f"{rel} imports {top}; only {OWNERS[top]} may"
    source = path.read_text(encoding="utf-8")
    if rel != "config.py":
        assert "os.environ" not in source and "getenv" not in source, (
            f"{rel} reads the environment; only config.py may")
