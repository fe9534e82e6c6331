"""Fingerprint versions 4 to 7: history under versions 6, 5, 4, 3 and 2 continues through `fingerprint_aliases`."""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from kcrashd.core.fingerprint import FINGERPRINT_VERSION, fingerprint_key, fingerprint_title
from tests.core.golden import CORPUS


def _key(version: int, title: str, alts: list[str]) -> str:
    # Versions 2 and 3 chose the keyed alternative by their own rules (fingerprint_key's `legacy`).
    digest = hashlib.sha256(fingerprint_key(title, alts, version=version).encode()).hexdigest()[:16]
    return f"kc{version}-{digest}"


def test_unchanged_title_keeps_its_version_6_5_4_3_and_2_keys() -> None:
    report = analyze((CORPUS / "seed" / "rhel8-sysrq.log").read_bytes())
    assert FINGERPRINT_VERSION == 7 and report.fingerprint.startswith("kc7-")
    # Versions 7, 6 and 5 hash what version 4 hashed for a title that names its culprit and no registration plumbing:
    # the same digest under the old prefixes.
    assert report.fingerprint_aliases[:3] == [f"kc{v}-" + report.fingerprint.removeprefix("kc7-") for v in (6, 5, 4)]
    assert _key(6, report.title, report.alt_titles) == report.fingerprint_aliases[0]
    assert _key(5, report.title, report.alt_titles) == report.fingerprint_aliases[1]
    assert _key(4, report.title, report.alt_titles) == report.fingerprint_aliases[2]
    assert _key(3, report.title, report.alt_titles) in report.fingerprint_aliases
    assert _key(2, report.title, report.alt_titles) in report.fingerprint_aliases


def test_a_culprit_a_version_5_skip_rule_moved_lists_the_version_4_key() -> None:
    # Version 5 passes RCU's read-side accessors (`__in_dev_get_rcu`) in a suspicious-RCU report (Signature.v4_skip).
    report = analyze((CORPUS / "production" / "patches" / "stable-3.0.5-arp-process-parp-redo-suspicious-rcu.txt").read_bytes())
    assert (report.title, report.function) == ("INFO: suspicious RCU usage in arp_process", "arp_process")
    old = _key(4, "INFO: suspicious RCU usage in __in_dev_get_rcu", [])
    assert old in report.fingerprint_aliases and report.fingerprint != "kc7-" + old.removeprefix("kc4-")
    assert _key(3, "INFO: suspicious RCU usage in __in_dev_get_rcu", []) in report.fingerprint_aliases


def test_a_report_version_5_reads_as_version_4_did_lists_no_other_version_4_key() -> None:
    # Negative: a suspicious-RCU report whose culprit no version-5 rule moved has one version-4 key, its own.
    report = analyze((CORPUS / "edge" / "rcu-usage-eqs-headless.log").read_bytes())
    assert [a for a in report.fingerprint_aliases if a.startswith("kc4-")] == ["kc4-" + report.fingerprint.removeprefix("kc7-")]


def test_recovered_culprit_lists_the_version_2_key_of_its_corrupted_title() -> None:
    # Version 2 titled this `... paging request in corrupted` (the trace has only `?` frames).
    report = analyze((CORPUS / "edge" / "exec-nx.log").read_bytes())
    old = "BUG: unable to handle kernel paging request in corrupted"
    assert report.function == "lab_trigger_exec_nx"
    assert _key(2, old, ["bad-access in corrupted"]) in report.fingerprint_aliases


def test_culprit_past_an_out_of_line_helper_lists_the_version_3_key() -> None:
    # Version 3 named the cfg80211 accessor whose BUG_ON fired (`kernel BUG at include/net/cfg80211.h`).
    report = analyze((CORPUS / "production" / "satyr" / "rhbz-865695-2.txt").read_bytes())
    assert report.title == "kernel BUG in wl_cfg80211_scan"
    assert _key(3, "kernel BUG in wdev_priv", []) in report.fingerprint_aliases
    assert _key(3, report.title, report.alt_titles) in report.fingerprint_aliases


def test_polled_device_stall_lists_the_version_3_key() -> None:
    # Version 3 walked the stall to the ioctl dispatcher; version 4 names the polling loop.
    report = analyze((CORPUS / "production" / "abrt" / "oops1-module-nouveau.txt").read_bytes())
    assert report.function == "nouveau_timer_wait_eq"
    old = "BUG: soft lockup in nouveau_drm_ioctl"
    assert _key(3, old, ["stall in nouveau_drm_ioctl"]) in report.fingerprint_aliases


def test_row_carved_out_of_kernel_bug_lists_the_version_3_key() -> None:
    # Version 3 titled a hardened-usercopy BUG as any `kernel BUG`.
    report = analyze((CORPUS / "edge" / "usercopy.log").read_bytes())
    assert report.title == "BUG: bad usercopy in mydrv_ioctl"
    assert _key(3, "kernel BUG in mydrv_ioctl", []) in report.fingerprint_aliases


def test_formats_version_3_read_otherwise_list_their_version_3_keys() -> None:
    squeezed = analyze((CORPUS / "production" / "abrt" / "koops-tainted-insane.txt").read_bytes())
    assert _key(3, "WARNING: atarch/x86/xen/mmu.c:LINE xen_make_pte()", []) in squeezed.fingerprint_aliases
    lost_column = analyze((CORPUS / "production" / "satyr" / "14.txt").read_bytes())
    assert lost_column.title == "BUG: bad unlock balance in blk_queue_bio"
    assert _key(3, "BUG: bad unlock balance in corrupted", []) in lost_column.fingerprint_aliases
    rust = analyze((CORPUS / "edge" / "rust-panic-old.log").read_bytes())
    assert _key(3, "kernel BUG in rust_helper_BUG", []) in rust.fingerprint_aliases


def test_a_bucket_that_names_no_culprit_is_no_key() -> None:
    # `bad-access in corrupted` would join every stack-less NULL dereference, KFENCE report and paging fault:
    # a report that names no culprit is keyed on its own title (or its header's site), not on the bucket.
    null = fingerprint_title("BUG: unable to handle kernel NULL pointer dereference in corrupted",
                             ["bad-access in corrupted"])
    kfence = fingerprint_title("KFENCE: use-after-free read in corrupted", ["bad-access in corrupted"])
    assert null != kfence
    assert null == fingerprint_title("BUG: unable to handle kernel NULL pointer dereference in corrupted")
    # Negative: a bucket that names its culprit stays the key.
    assert fingerprint_title("KASAN: use-after-free Read in f", ["bad-access in f"]) == fingerprint_title(
        "general protection fault in f", ["bad-access in f"])


def test_oom_killer_panics_are_keyed_apart_from_a_callers_out_of_memory_panic() -> None:
    # mm/oom_kill.c out_of_memory panics (panic_on_oom on Debian 11's 5.10 in the lab; RHEL 8.10's `System is
    # deadlocked on memory`; abrt's panic_on_oom sample): one bucket, whatever words each panic gives (each titled by
    # them, as syzkaller titles a panic).  mm/page_ext.c's panic("Out of memory") at boot is another bug.
    logs = [CORPUS / "lab" / "deb11-5.10_oom_run1" / "console.log",
            CORPUS / "production" / "microsoft-docs" / "rhel8-oom-system-deadlocked-on-memory-panic.txt",
            CORPUS / "production" / "abrt" / "kernel_panic_oom.txt"]  # fmt: skip
    oom = [analyze(p.read_bytes()) for p in logs]
    boot = analyze((CORPUS / "production" / "lkp-tests" / "stats-dmesg-boot-stage-03.txt").read_bytes())
    assert [r.title for r in oom] == ["kernel panic: Out of memory: system-wide panic_on_oom is enabled",
                                      "kernel panic: System is deadlocked on memory",
                                      oom[2].title] and oom[2].title.startswith("kernel panic: Out of memory")
    assert boot.title == "kernel panic: Out of memory"
    assert len({r.fingerprint for r in oom}) == 1 and boot.fingerprint != oom[0].fingerprint
    assert [r.kind for r in oom] == ["oom"] * 3 and boot.kind == "panic"
    # Version 3 keyed them all on the title: that key continues (a store's history under it).
    assert all(_key(3, "kernel panic: Out of memory", []) in r.fingerprint_aliases for r in oom)
