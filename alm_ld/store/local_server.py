"""A local ``oxigraph serve`` over an embedded store's folder, so several processes can share it.

An on-disk ``oxigraph:PATH`` store is RocksDB, which one process opens read-write at a time; a
second serving process cannot open it. ``alm-ld serve --store oxigraph:PATH --workers N`` therefore
starts this server — the ``oxigraph`` binary of the PyPI package ``oxigraph``, the same Rust engine
and on-disk format as ``pyoxigraph``, so the folder is used as it is, nothing is copied or
converted — on a free port of 127.0.0.1 with ``--union-default-graph``, and the N web workers
reach it as a ``sparql:`` store. Nothing else is installed or configured, and the folder stays
an ordinary embedded store: stop the service and ``alm-ld serve`` / ``ingest`` / ``dump`` open it
directly again.

Why a child server rather than other designs (docs/deploy.md argues this at more length):

* N workers opening the folder read-only (RocksDB secondary instances) would each need a writer
  somewhere and see writes only after catching up: ingest over HTTP would have to be routed to
  one process, and every reader's view would lag.
* Threads in one process already scale queries (Oxigraph releases the GIL), but the Python half
  of a request — routing, JSON-LD, serialisation — holds it: ~1 ms of Python per request is the
  ceiling of one process, whatever the thread count. Only processes lift it.

The server is started in its own session (Ctrl-C in a terminal reaches the supervisor, which
stops the workers first and the server last) with ``PR_SET_PDEATHSIG`` (if the supervisor is
killed outright, the server goes too and frees the folder's lock). Its stderr goes to a
temporary file whose last lines are quoted when it fails.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import pyoxigraph

from alm_ld.errors import AlmLdError, ConfigError, StoreUnavailable
from alm_ld.store.sparql import SparqlStore

RESTARTS_ALLOWED = 3
"""Restarts within :data:`RESTART_WINDOW` seconds before the supervisor gives up."""
RESTART_WINDOW = 60.0


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary: beside this interpreter (a venv), else on ``PATH``."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise ConfigError(
            "Serving an embedded store with --workers > 1 needs the Oxigraph server binary, "
            f"which is missing: pip install oxigraph=={pyoxigraph.__version__} (it is in "
            "requirements.lock), or serve with --workers 1.")
    return found


def check_version(binary: str) -> str:
    """The binary's version; refused unless its major.minor is pyoxigraph's (one on-disk format:
    another release could refuse the folder, or upgrade it beyond what pyoxigraph reads)."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise ConfigError(f"Cannot run the Oxigraph server binary {binary}: {error}.")
    version = out.split()[-1] if out.split() else "?"
    if version.split(".")[:2] != pyoxigraph.__version__.split(".")[:2]:
        raise ConfigError(
            f"The Oxigraph server binary {binary} is version {version}, but the embedded store "
            f"is written by pyoxigraph {pyoxigraph.__version__}: install "
            f"oxigraph=={pyoxigraph.__version__} so both read the same on-disk format.")
    return version


def free_port(avoid: int | None = None) -> int:
    """A port of 127.0.0.1 free right now, other than ``avoid`` (the port the web service is
    about to bind: the kernel may well offer it, as nothing listens on it yet)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != avoid:
            return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the server when the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalOxigraphServer:
    """``oxigraph serve --location PATH --bind 127.0.0.1:PORT --union-default-graph``, supervised.

    ``start()`` returns once the server answers a query; :attr:`spec` is then the ``sparql:``
    store the workers use. :meth:`watch` (called by the serving supervisor a few times a second)
    restarts a server that died, on the same port, at most :data:`RESTARTS_ALLOWED` times per
    :data:`RESTART_WINDOW` seconds."""

    def __init__(self, location: str, *, query_timeout: float, binary: str | None = None,
                 port: int | None = None, avoid_port: int | None = None) -> None:
        self.location = str(Path(location).resolve())
        self.query_timeout = query_timeout
        self.binary = binary or oxigraph_binary()
        self.version = check_version(self.binary)
        self.avoid_port = avoid_port
        self.port = port or free_port(avoid_port)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._restarts: list[float] = []
        self.failure: str | None = None
        """Why supervision gave up (set when :meth:`watch` returns False)."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spec(self) -> str:
        return f"sparql:{self.base_url}/query;{self.base_url}/update"

    def command(self) -> list[str]:
        # The server's own limit stops a blocking evaluation (a huge COUNT) that alm-ld has
        # already abandoned at its deadline; the slack lets alm-ld's own timeout answer first.
        limit = math.ceil(self.query_timeout) + 5
        return [self.binary, "serve", "--location", self.location, "--bind",
                f"127.0.0.1:{self.port}", "--union-default-graph", "--timeout-s", str(limit)]

    def start(self, wait: float = 60.0) -> None:
        """Start the server and wait until it answers; raise :class:`StoreUnavailable` (with the
        server's own last words, e.g. the folder is locked by another process) if it does not.

        The free port is found by binding port 0 and letting it go, so another program can take
        it in between: the first start then tries other ports (a restart may not: the workers
        already know the port)."""
        for _ in range(3):
            try:
                self._start(wait)
                return
            except StoreUnavailable as error:
                taken = "in use" in error.detail.lower()
                if not taken or self._restarts:
                    raise
                self.port = free_port(self.avoid_port)
        self._start(wait)

    def _start(self, wait: float) -> None:
        Path(self.location).mkdir(parents=True, exist_ok=True)
        if self._log is not None:
            self._log.close()
        # Kept open for the server's life and closed by stop(): not a with-block.
        self._log = tempfile.TemporaryFile(prefix="alm-ld-oxigraph-")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            start_new_session=True, preexec_fn=_die_with_parent)
        probe = SparqlStore(f"{self.base_url}/query", timeout=2.0)
        deadline = time.monotonic() + wait
        while True:
            if self.process.poll() is not None:
                raise StoreUnavailable(
                    f"The local Oxigraph server for {self.location} exited at start-up "
                    f"(code {self.process.returncode}): {self.last_words()}")
            try:
                probe.query("ASK {}", timeout=2.0)
                return
            except AlmLdError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise StoreUnavailable(
                        f"The local Oxigraph server for {self.location} did not answer within "
                        f"{wait:g} s: {self.last_words()}")
                time.sleep(0.1)

    def last_words(self, lines: int = 3) -> str:
        """The end of the server's log, one line (what it said before failing)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read()[-4000:].decode("utf-8", "replace")
        said = [line.strip() for line in text.splitlines() if line.strip()]
        errors = [line for line in said if line.startswith("Error")]
        if errors:  # the error, not the stack backtrace anyhow may print after it
            return errors[-1]
        return " | ".join(said[-lines:]) or "(no output)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def watch(self) -> bool:
        """Restart the server if it died; False when it keeps dying or cannot be restarted (the
        caller should stop, and report :attr:`failure`)."""
        if self.alive():
            return True
        code = self.process.returncode if self.process else None
        said = self.last_words()
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW] + [now]
        if len(self._restarts) > RESTARTS_ALLOWED:
            self.failure = (f"The local Oxigraph server for {self.location} exited "
                            f"{len(self._restarts)} times within {RESTART_WINDOW:g} s (last: "
                            f"code {code}, {said}); the service stopped.")
            return False
        sys.stderr.write(f"alm-ld: the local Oxigraph server exited (code {code}): {said}; "
                         "restarting it\n")
        try:
            self.start()
        except AlmLdError as error:
            # Counted like any other death: the next call sees it dead, and retries while the
            # budget lasts (a kill during start-up is no reason to give up at once).
            sys.stderr.write(f"alm-ld: {error.title}: {error.detail}\n")
        return True

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the folder's lock is free afterwards."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
