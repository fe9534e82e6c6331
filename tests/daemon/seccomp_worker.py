"""The shipped triage worker behind a seccomp filter that refuses setrlimit and prlimit64 with
EPERM, stricter than kcrashd.service's (`SystemCallFilter=~@resources` refuses setrlimit; glibc
sets limits through prlimit64, which @default keeps). Needs libseccomp (ctypes, no binding).
Run as `python -m tests.daemon.seccomp_worker`."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import sys

from kcrashd.triage.worker import serve

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = 0x00050000


def libseccomp() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp")
    return ctypes.CDLL(name) if name else None


def refuse(*names: str) -> None:
    lib = libseccomp()
    assert lib is not None
    lib.seccomp_init.restype = ctypes.c_void_p
    ctx = ctypes.c_void_p(lib.seccomp_init(SCMP_ACT_ALLOW))
    for name in names:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        assert lib.seccomp_rule_add(ctx, SCMP_ACT_ERRNO | errno.EPERM, number, 0) == 0, name
    assert lib.seccomp_load(ctx) == 0


if __name__ == "__main__":
    refuse("setrlimit", "prlimit64")
    sys.exit(serve())
