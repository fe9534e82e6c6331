"""Families of misses of the 303-log production corpus's development part (issue 13, "Families of misses"):
each rule reads what the kernel prints (the code is named); negatives sit beside the positives.
"""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from tests.core.golden import CORPUS

PRODUCTION = CORPUS / "production"


def _v3_key(text: str) -> str:
    return "kc3-" + hashlib.sha256(text.encode()).hexdigest()[:16]


# --- a fault inside a lock primitive, in a trace of guesses (arch/x86/kernel/dumpstack.c, 2.6-4.8) ---------


def test_fault_in_a_lock_primitive_with_a_guess_only_trace_names_the_locker() -> None:
    # 2.6.32 i386: `EIP is at __mutex_lock_slowpath+0x8a/0x130`, every frame `?`: `? mutex_lock`, then the
    # function that took the mutex of a NULL object, `? drm_fb_release+0x23/0x70 [drm]`.
    report = analyze((PRODUCTION / "fwts" / "oops-plymouthd-mutex.txt").read_bytes())
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in drm_fb_release"
    # Version 3 gave `in corrupted`: that key continues.
    assert _v3_key("bad-access in corrupted") in report.fingerprint_aliases


_MUTEX_FAULT = (
    "[    7.432087] BUG: unable to handle kernel NULL pointer dereference at (null)\n"
    "[    7.432631] IP: [<c05a4fda>] {pc}+0x8a/0x130\n"
    "[    7.433284] Oops: 0002 [#1] SMP\n"
    "[    7.457480] EIP is at {pc}+0x8a/0x130\n"
    "[    7.457480] Call Trace:\n"
    "[    7.457480]  [<c05a4f35>] ? mutex_lock+0x25/0x40\n"
    "[    7.604514]  [<f81eb123>] {mark}mydrv_release+0x23/0x70 [mydrv]\n"
    "[    7.604514]  [<c020736f>] ? __fput+0xdf/0x1f0\n"
    "[    7.604514] ---[ end trace bdc69ac9537b9c32 ]---\n"
)


def test_fault_in_a_lock_primitive_with_a_reliable_frame_reads_the_reliable_frames() -> None:
    # Negative: a reliable frame means an unwinder ran; the `?` words are stale, the reliable frame counts.
    log = _MUTEX_FAULT.format(pc="__mutex_lock_slowpath", mark="")
    assert analyze(log).function == "mydrv_release"


def test_fault_outside_the_lock_primitives_with_a_guess_only_trace_stays_corrupted() -> None:
    # Negative: the PC is a string helper, not a lock primitive: the guessed words are not read.
    log = _MUTEX_FAULT.format(pc="strlen", mark="? ")
    report = analyze(log)
    assert (report.function, report.corrupted) == (None, True)


def test_fault_in_a_lock_primitive_with_a_guess_only_trace_synthetic() -> None:
    log = _MUTEX_FAULT.format(pc="__mutex_lock_slowpath", mark="? ")
    assert analyze(log).function == "mydrv_release"
