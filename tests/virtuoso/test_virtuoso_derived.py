"""Over Virtuoso 7 too, a shared store's writer publishes each feed with its view lines and
alerts in one conditional ``DELETE {…} INSERT {…} WHERE {…}`` (one request, and staged through
per-part staging graphs read back by a ``UNION``), and ends as an owned store does — not
falling back to publishing feeds alone (which would also pass the many-writers tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.test_pair_state import shared_matches_owned


@pytest.mark.parametrize("chunk", [1000, 40])  # Virtuoso's default, and deep staging
def test_virtuoso_publishes_each_feed_with_what_an_owned_store_writes(
        chunk: int, shared_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared_matches_owned(shared_store, chunk, tmp_path, monkeypatch)
