"""A seccomp-BPF filter that takes the network away from a query worker process.

Oxigraph evaluates ``SERVICE <url>`` by fetching the URL, and a lexical or grammatical check in
front of it can always be wrong somewhere. A worker that evaluates public queries therefore
installs this filter first: afterwards ``socket()`` fails with ``EACCES`` for every address
family except ``AF_UNIX`` (the worker still talks to its parent over a Unix socket pair), and
``io_uring_setup`` (which could open sockets behind the filter's back) fails too. The filter
holds for the calling thread and every thread it starts later, and ``PR_SET_NO_NEW_PRIVS``
makes it permanent for the process and its children. Install it in the child's main thread
before any other thread starts.

Supported: Linux on x86_64 (x32 system calls refused too) and aarch64. Elsewhere
:func:`install` returns a reason and installs nothing; the caller logs it (and reports it on
the pool's status) so that an unsandboxed deployment is visible.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06

# machine -> (AUDIT_ARCH_*, socket syscall number, first number refused wholesale)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 0x40000000),  # x32 ABI syscalls carry bit 30
    "aarch64": (0xC00000B7, 198, 0xFFFFFFFF),
}
_IO_URING_SETUP = 425  # same number on every architecture (generic table)
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16


def _program(arch: int, socket_nr: int, refuse_from: int) -> bytes:
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    instructions = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),          # 0
        (_JEQ_K, 0, 7, arch),                      # 1: another ABI -> deny (9)
        (_LD_W_ABS, 0, 0, _OFFSET_NR),            # 2
        (_JGE_K, 5, 0, refuse_from),              # 3: x32 -> deny
        (_JEQ_K, 4, 0, _IO_URING_SETUP),          # 4: -> deny
        (_JEQ_K, 0, 2, socket_nr),                # 5: not socket() -> allow (8)
        (_LD_W_ABS, 0, 0, _OFFSET_ARG0),          # 6: the address family
        (_JEQ_K, 0, 1, socket.AF_UNIX),           # 7: AF_UNIX -> allow, else deny
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),        # 8
        (_RET_K, 0, 0, deny),                     # 9
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in instructions)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> str | None:
    """Install the filter in this process; None on success, else why it is unavailable."""
    if not sys.platform.startswith("linux"):
        return f"seccomp is Linux-only (this is {sys.platform})"
    machine = platform.machine()
    if machine not in _ARCHES:
        return f"no seccomp filter for architecture {machine}"
    program = _program(*_ARCHES[machine])
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"PR_SET_NO_NEW_PRIVS failed: {errno.errorcode.get(ctypes.get_errno())}"
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        return f"PR_SET_SECCOMP failed: {errno.errorcode.get(ctypes.get_errno())}"
    return None

