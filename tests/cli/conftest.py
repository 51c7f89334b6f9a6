"""Run the real ``alm-ld`` console script as a user does: a subprocess, optionally on a terminal.

``run`` gives pipes (what scripts and CI see); ``run_on_tty`` puts standard error — and, if
asked, standard output — on a pseudo-terminal, where progress bars are drawn, and returns what
the terminal showed.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "alm-ld"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALM_LD_")}
    env["ALM_LD_STORE"] = "memory:"
    env.update(extra or {})
    return env


@pytest.fixture
def run() -> Callable[..., Result]:
    def call(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"",
             cwd: Path | None = None) -> Result:
        assert SCRIPT.exists(), f"the console script is not installed: {SCRIPT}"
        done = subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True,
                              env=_env(env), cwd=cwd, timeout=300)
        return Result(done.returncode, done.stdout.decode(), done.stderr.decode())
    return call


@pytest.fixture
def run_on_tty() -> Callable[..., tuple[int, str, str]]:
    """(exit code, what the terminal showed, standard output when it was a pipe)."""

    def call(*args: str, env: dict[str, str] | None = None, stdout_on_tty: bool = True,
             timeout: float = 300) -> tuple[int, str, str]:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        process = subprocess.Popen(
            [str(SCRIPT), *args], stdin=subprocess.DEVNULL,
            stdout=slave if stdout_on_tty else subprocess.PIPE, stderr=slave, env=_env(env))
        os.close(slave)
        shown = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                shown += data
            elif process.poll() is not None:
                break
        out = process.stdout.read().decode() if process.stdout else ""
        code = process.wait(timeout=30)
        os.close(master)
        return code, shown.decode(errors="replace"), out
    return call
