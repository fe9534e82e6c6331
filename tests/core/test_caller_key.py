"""Fingerprint version 5 keys a report whose title names the function that checked (Signature.caller_keyed: a
sleeping API's might_sleep()) on the caller past it: two callers of one API are two bugs."""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_key, fingerprint_title
from tests.core.golden import CORPUS

PATCHES = CORPUS / "production" / "patches"
SLEEP = "BUG: sleeping function called from invalid context in "


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_two_callers_of_one_sleeping_api_are_two_keys() -> None:
    # stable 4.19.72's two ceph fixes: vfree under i_ceph_lock from fill_inode and from __ceph_build_xattrs_blob, both
    # through ceph_buffer_release (kernel/sched/core.c ___might_sleep's `at mm/vmalloc.c`).
    fill = analyze((PATCHES / "stable-4.19.72-ceph-fill-inode-i-ceph-lock-vfree-sleeping.txt").read_bytes())
    blob = analyze((PATCHES / "stable-4.19.72-ceph-build-xattrs-blob-i-ceph-lock-vfree-sleeping.txt").read_bytes())
    assert fill.title == blob.title == SLEEP + "ceph_buffer_release"
    assert fill.function == blob.function == "ceph_buffer_release"  # syzkaller's frame
    assert fill.alt_titles[0] == SLEEP + "fill_inode" and blob.alt_titles[0] == SLEEP + "__ceph_build_xattrs_blob"
    assert fill.fingerprint != blob.fingerprint
    assert fill.fingerprint == "kc7-" + _digest(SLEEP + "fill_inode")
    # Version 4 keyed both on the title: that key continues for each.
    old = "kc4-" + _digest(fill.title)
    assert old in fill.fingerprint_aliases and old in blob.fingerprint_aliases


def test_a_dispatcher_below_the_checking_function_is_no_caller() -> None:
    # 2.6's `Debug: sleeping function ...` from a driver's rx poll: net_rx_action runs every driver's poll, and keying
    # on it would join them all; the title's key stays.
    report = analyze((CORPUS / "edge" / "sleep-atomic-debug.log").read_bytes())
    assert report.title == SLEEP + "mydrv_rx" and report.alt_titles == []
    assert report.fingerprint == "kc7-" + _digest(report.title)


def test_scheduling_while_atomic_names_the_code_that_slept_and_is_keyed_on_it() -> None:
    # kernel/sched/core.c __schedule_bug: the walk passes the sleeping primitives to the code that chose to sleep,
    # which the title names: no caller key.
    log = CORPUS / "lab" / "deb12-6.1_sched-atomic_run1" / "console.log"
    report = analyze(log.read_bytes())
    assert report.title == "BUG: scheduling while atomic in lab_trigger_sched_atomic"
    assert report.fingerprint == fingerprint_title(report.title)


def test_the_caller_alternative_is_another_function_not_another_spelling() -> None:
    title = SLEEP + "__do_sys_foo"
    assert fingerprint_key(title, [SLEEP + "__x64_sys_foo"]) == SLEEP + "foo"  # a wrapper's spelling: no caller
    assert fingerprint_key(title, [SLEEP + "corrupted", SLEEP + "bar"]) == SLEEP + "bar"
    assert fingerprint_key(title, [SLEEP + "bar"], version=4) == SLEEP + "foo"  # version 4: the title
    assert fingerprint_key(title, [SLEEP + "bar"], version=3) == SLEEP + "foo"


def test_every_caller_keyed_row_titles_a_caller_keyed_title() -> None:
    # The rows declare it (Signature.caller_keyed); the key's choice reads the title (fingerprint.CALLER_KEYED): they agree.
    from kcrashd.core.fingerprint import CALLER_KEYED
    from kcrashd.core.signatures import SIGNATURES

    rows = [sig for sig in SIGNATURES if sig.caller_keyed]
    assert rows and all(sig.title.removesuffix("{F}").startswith(CALLER_KEYED) for sig in rows)
    # Negative: no other row's title is keyed on its caller.
    assert not [sig.name for sig in SIGNATURES if not sig.caller_keyed and sig.title.startswith(CALLER_KEYED)]
