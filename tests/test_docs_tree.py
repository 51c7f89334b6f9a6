"""README's "Architecture" section matches the tree: every module or folder it names exists,
and every package and top-level module of ``alm_ld/`` is named (issue 18: one concept, one
place — and the map of those places must not go stale)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "alm_ld"
NAME_COLUMN = 11  # "base       errors.py ...": layer, then the package or module it holds


def architecture_block(readme: str) -> list[str]:
    """The lines of the fenced block under ``## Architecture``."""
    section = readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1].strip("\n").splitlines()


def named_paths(lines: list[str]) -> list[tuple[str, Path]]:
    """(token, path) for every ``x.py`` / ``x/`` token; tokens are relative to the package the
    line (or the lines before it) holds in the name column."""
    found = []
    package = PACKAGE
    for line in lines:
        named = line[NAME_COLUMN:]
        head = named.split(maxsplit=1)[0] if named[:1].strip() else None
        if head is not None:
            package = PACKAGE / head if head.endswith("/") else PACKAGE
        for raw in named.split():
            token = raw.strip("(),:;")
            if "*" in token or not re.fullmatch(r"[\w/]+(\.py|/)", token):
                continue
            base = PACKAGE if token == head else package
            found.append((token, base / token))
    return found


def _readme_paths() -> list[tuple[str, Path]]:
    return named_paths(architecture_block((ROOT / "README.md").read_text(encoding="utf-8")))


def test_every_module_the_architecture_names_exists():
    missing = [token for token, path in _readme_paths() if not path.exists()]
    assert missing == [], f"README's Architecture names what the tree does not have: {missing}"


def test_every_package_and_top_level_module_is_named():
    named = {path.resolve() for _, path in _readme_paths()}
    packages = {p.parent.resolve() for p in PACKAGE.rglob("__init__.py")} - {PACKAGE.resolve()}
    modules = {p.resolve() for p in PACKAGE.glob("*.py")}
    unnamed = sorted(str(p.relative_to(PACKAGE)) for p in (packages | modules) - named)
    assert unnamed == [], f"README's Architecture does not name: {unnamed}"


def test_a_stale_name_is_caught():
    lines = ["io         store/          spec.py (one parser), gone.py",
             "base       nowhere.py      nothing"]
    missing = [token for token, path in named_paths(lines) if not path.exists()]
    assert missing == ["gone.py", "nowhere.py"]


def test_every_module_docs_model_names_exists():
    text = (ROOT / "docs" / "MODEL.md").read_text(encoding="utf-8")
    named = re.findall(r"`(alm_ld/[\w/]+\.py)", text)
    assert named, "docs/MODEL.md names no module: the map of concepts is gone"
    assert [n for n in named if not (ROOT / n).is_file()] == []
