"""Progress on a terminal for long CLI runs, and output lines that never share its line.

A bar is drawn on standard error only when standard error is a terminal (scripts and CI get
clean output). While it is shown, every result line (standard output) and message (standard
error) goes through :meth:`Progress.out` / :meth:`Progress.err`, which clear the bar, write the
whole line and redraw the bar below it — so a JSON result line is never glued to the bar's
text when both streams are the same terminal.

One feed can take long on its own (100,000 items: parse, validate, map, store, alerts in one
ingest call), so the bar names the file and its stage and a ticker thread redraws it every half
second: the elapsed time keeps moving even while a single feed is being ingested.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any


class Progress:
    """A per-file bar (``files`` in total) that exists only on a terminal."""

    def __init__(self, total: int, unit: str = "feed") -> None:
        self._bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True,
                             bar_format="{desc} {n_fmt}/{total_fmt} {unit} [{elapsed}]")
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            bar = self._bar
            if bar is not None:
                bar.refresh()

    def stage(self, text: str) -> None:
        """What is happening now (e.g. ``big.json: validating and storing 100000 items``)."""
        if self._bar is not None:
            self._bar.set_description_str(text, refresh=True)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _write(self, line: str, stream: Any) -> None:
        if self._bar is not None:
            from tqdm import tqdm

            tqdm.write(line, file=stream)
        else:
            stream.write(line + "\n")
        stream.flush()

    def out(self, line: str) -> None:
        """One whole line on standard output."""
        self._write(line, sys.stdout)

    def err(self, line: str) -> None:
        """One whole line on standard error."""
        self._write(line, sys.stderr)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(1)
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
