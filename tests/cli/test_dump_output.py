"""``alm-ld dump --output FILE`` as a user runs it: a dump the store cuts short leaves the old
file untouched and no partial file beside it; a whole dump replaces it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cancelling_store import cancelling_store as _cancelling_store


@pytest.fixture
def cancelling_store() -> Iterator[str]:
    with _cancelling_store() as url:
        yield "sparql:" + url


def test_a_dump_cut_short_leaves_the_old_file_and_no_partial_one(
        run, tmp_path: Path, cancelling_store: str) -> None:
    target = tmp_path / "dump.nq"
    target.write_text("the previous, complete dump\n", encoding="utf-8")
    done = run("dump", "--store", cancelling_store, "--output", str(target))
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("alm-ld: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "the dump is incomplete" in done.stderr
    assert target.read_text(encoding="utf-8") == "the previous, complete dump\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.nq"]


def test_a_whole_dump_replaces_the_file(run, tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    feed = Path(__file__).resolve().parents[2] / "alm_ld" / "data" / "examples" / "valid-base.json"
    assert run("ingest", str(feed), "--store", store).returncode == 0
    target = tmp_path / "out" / "dump.nq"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    done = run("dump", "--store", store, "--output", str(target))
    assert done.returncode == 0, done.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 20 and all(line.endswith(" .") for line in lines)
    assert sorted(p.name for p in target.parent.iterdir()) == ["dump.nq"]
