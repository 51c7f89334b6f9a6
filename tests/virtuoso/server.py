"""A private Virtuoso 7 for one test session: installed from Debian's ``virtuoso-opensource``
package when missing (root only), started on free 127.0.0.1 ports with its own database folder
and ``virtuoso.ini``, granted SPARQL Update for its anonymous ``SPARQL`` user, stopped at the end.

Start-up is kept short by a small ini: no VAD packages, no plugins, a small buffer pool, and a
checkpoint interval that never fires during a test. ``ResultSetMaxRows`` is raised from the
package's 10,000 (Virtuoso otherwise cuts a larger result without saying so: a dump would be
silently short).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port, stop

INSTALL_TIMEOUT = 600
INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 0
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = {db}
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000
MaxQueryMem              = 256M

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {db}
MaxClientConnections        = 20
ServerThreads               = 20
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
Charset                     = UTF-8
EnabledGzipContent          = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


@dataclass
class Virtuoso:
    process: subprocess.Popen
    http_port: int
    sql_port: int
    folder: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def spec(self) -> str:
        return f"sparql:{self.endpoint};{self.endpoint}"

    def isql(self, sql: str) -> str:
        done = subprocess.run(
            [isql_binary(), f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF",
             "BANNER=OFF", f"EXEC={sql}"],
            capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql {sql!r} failed: {done.stdout} {done.stderr}")
        return done.stdout

    def stop(self) -> None:
        stop(self.process, grace=30)


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def isql_binary() -> str:
    return shutil.which("isql-vt") or shutil.which("isql") or "isql-vt"


def ensure_installed() -> str | None:
    """``None`` when ``virtuoso-t`` is there (installing it as root if needed), else why not."""
    if virtuoso_binary():
        return None
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "virtuoso-t is not installed and the tests do not run as root to install it"
    if not shutil.which("apt-get"):
        return "virtuoso-t is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "virtuoso-opensource"]):
            done = subprocess.run(command, capture_output=True, text=True, env=env,
                                  timeout=INSTALL_TIMEOUT, check=False)
            if done.returncode != 0 and command[1] == "install":
                return f"apt-get install virtuoso-opensource failed: {done.stderr[-500:]}"
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"apt-get install virtuoso-opensource failed: {error}"
    return None if virtuoso_binary() else "virtuoso-t still missing after apt-get install"


def start(folder: Path, seconds: float = 90) -> Virtuoso:
    """Start ``virtuoso-t +foreground`` over ``folder``; wait for its SPARQL endpoint; grant
    SPARQL Update to the anonymous ``SPARQL`` user (what /sparql runs as)."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(
        INI.format(db=folder, http_port=http_port, sql_port=sql_port), encoding="utf-8")
    log = open(folder / "stdout.log", "wb")  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(
        [str(virtuoso_binary()), "+foreground", "+configfile", str(folder / "virtuoso.ini")],
        cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    server = Virtuoso(process, http_port, sql_port, folder)
    deadline = time.monotonic() + seconds
    url = server.endpoint + "?query=ASK%7B%7D"
    while True:
        if process.poll() is not None:
            raise RuntimeError("virtuoso-t exited early: "
                               + (folder / "virtuoso.log").read_text(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"virtuoso-t did not answer {url} within {seconds:g} s")
        time.sleep(0.2)
    server.isql('GRANT SPARQL_UPDATE TO "SPARQL"')
    return server
