"""The works index of a store without a folder (``memory:``, an in-memory Oxigraph, ``sparql:``
without ``ALM_LD_WORKS_INDEX``) lives in a private temporary file. A process ended by a signal
runs no finalizer (``alm-ld serve --server dev`` stopped with SIGTERM left one file, with its
``-wal`` and ``-shm``, per test run): the next private index removes the files whose lock no
live process holds, and never those of an index in use. Every file here is made in a
per-test temporary folder (``TMPDIR``), never in the shared /tmp."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alm_ld.analytics import works_index as wi
from alm_ld.store import open_store

HOLDER = """
import time
from alm_ld.analytics.works_index import works_index
from alm_ld.store import open_store

store = open_store("memory:")
index, _ = works_index(store)
print(index._file, flush=True)
time.sleep(300)
"""
"""A process using the index of a ``memory:`` store until it is stopped."""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder of this process and of the processes it starts."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    yield tmp_path


def _files(name: str) -> list[Path]:
    return [Path(name + suffix) for suffix in ("", "-wal", "-shm")]


def _age(name: str) -> None:
    """As if left alone for an hour (much longer than :data:`works_index.ORPHAN_AGE`)."""
    past = time.time() - 3600
    for path in _files(name):
        os.utime(path, (past, past))


def _use_a_private_index() -> None:
    """What a user does: open a ``memory:`` store and read its works index."""
    with open_store("memory:") as store:
        index, _ = wi.works_index(store)
        index.close()


def test_the_files_of_a_process_killed_by_sigterm_are_removed_by_the_next_index(folder):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parents[2])
    try:
        name = holder.stdout.readline().strip()
        assert name.startswith(str(folder)), name
        assert all(path.exists() for path in _files(name))
        _age(name)  # only the lock keeps it now
        _use_a_private_index()
        assert all(path.exists() for path in _files(name)), "an index in use was removed"

        holder.send_signal(signal.SIGTERM)  # the default action: no atexit, no finalizer
        assert holder.wait(30) == -signal.SIGTERM
        assert all(path.exists() for path in _files(name))  # what used to stay for good

        _use_a_private_index()
        assert not [path for path in _files(name) if path.exists()]
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_fresh_unlocked_file_is_spared_until_it_is_old(folder):
    """A file with no lock may be one being made this moment (or by an alm-ld from before the
    lock): it is removed only once left unchanged for ORPHAN_AGE seconds."""
    name = str(folder / "alm-ld-works-index-left.sqlite3")
    for path in _files(name):
        path.write_bytes(b"")
    _use_a_private_index()
    assert all(path.exists() for path in _files(name))
    _age(name)
    _use_a_private_index()
    assert not [path for path in _files(name) if path.exists()]


def test_closing_a_private_index_removes_its_files_and_lets_go_of_its_lock(folder):
    with open_store("memory:") as store:
        index, _ = wi.works_index(store)
        name = index._file
        assert Path(name).parent == folder
        assert all(path.exists() for path in _files(name))
        assert name in wi._OWN
        index.close()
    assert not [path for path in _files(name) if path.exists()]
    assert name not in wi._OWN
