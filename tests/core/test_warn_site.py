"""A WARNING's site is the function its header names (kernel/panic.c __warn `at %pS`), with or without the RIP line.

A trap-based WARN (x86 since 4.x: do_error_trap -> report_bug -> __warn) prints the trapped frame's registers, its
RIP line naming the site, and a trace that starts at the site's caller (the site itself at most as a `?` frame).
A quote that cut the register dump (Documentation/process/submitting-patches.rst asks for it) keeps the site in the
header alone: kcrashd names it there (culprit._quoted_warn_site), so the quote triages as the whole report does.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from kcrashd.core import analyze
from kcrashd.core.culprit import header_function
from tests.core.golden import CORPUS
from tests.core.invariance import development_logs

PRODUCTION = CORPUS / "production"
_RIP = re.compile(r"^(?:\[[^\]]{1,40}\] )?\s{0,8}RIP: 0010:")
# A quote that hard-wrapped the header line before its site, or cut it there: the header names no function.
_WRAPPED_HEADER = {"production/patches/suse-ext4-evict-inode-warning-wrapped.txt",
                   "production/patches/stable-4.19.14-x86-flush-tlb-all-preemptible-warning.txt",
                   # its header's `%pS` indented below `at file:line` in an unstamped quote (joined since the 27th
                   # issue-13 session, wrapped.warn_site_below: cut with the RIP line, the walk reads on from the join)
                   "production/patches/stable-4.9.32-drm-usb-unplug-mode-config-cleanup-warning.txt",
                   "production/patches/pve-kvm-nx-recovery-smm-memslot-warning.txt",  # (data140)
                   # its header's `%pS` on a mailer's `+` continuation line of its own (data116)
                   "production/patches/stable-5.10.194-rcu-exp-wait-wake-irq-work-queue-on-offline-warning.txt"}
# A WARN in an exception handler's own check (arch/x86/kernel/traps.c exc_debug_kernel): its site is trap code a
# skip rule fits, so the culprit is the code the exception interrupted, which only the second RIP line (inside the
# `<#DB>` section) names; with every RIP line cut, no frame is left.
_EXCEPTION_SITE = {"production/patches/stable-x86-bhi-sysenter-tf-debug-kernel-warning.txt"}


def _without_rip(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _RIP.match(line))


@cache
def _warnings_with_rip() -> list[tuple[str, str]]:
    out = []
    for corpus, case, data in development_logs(("syzkaller", "production", "lab")):
        text = data.decode(errors="replace")
        if "WARNING:" in text and "RIP: 0010:" in text and analyze(data).title.startswith("WARNING in "):
            out.append((f"{corpus}/{case}", text))
    return out


def test_a_warning_keeps_its_title_culprit_and_key_without_its_rip_line() -> None:
    cases = _warnings_with_rip()
    assert len(cases) > 60  # 87 when written
    changed = []
    for name, text in cases:
        whole, cut = analyze(text), analyze(_without_rip(text))
        if (cut.title, cut.function, cut.fingerprint) != (whole.title, whole.function, whole.fingerprint):
            changed.append(f"{name}: {whole.title} -> {cut.title}")
    assert [c for c in changed if c.split(":")[0] not in _WRAPPED_HEADER | _EXCEPTION_SITE] == []


@pytest.mark.parametrize(("path", "site", "function"), [
    # the irq core WARNs about the driver that freed (signatures.py warn-irq-free): the driver is the function
    ("patches/suse-mana-remove-irqs-free-irq-warning.txt", "free_irq", "mana_gd_remove_irqs"),
    ("patches/stable-6.11.9-siw-skb-splice-from-iter-slab-page-warning.txt", "skb_splice_from_iter", "skb_splice_from_iter"),
])
def test_a_quote_without_its_rip_line_names_the_site_its_header_names(path: str, site: str, function: str) -> None:
    report = analyze((PRODUCTION / path).read_bytes())
    assert (report.title, report.function) == (f"WARNING in {site}", function)


def test_the_walk_keeps_a_site_the_trace_shows_and_passes_a_skipped_one() -> None:
    # 3.x warn_slowpath_common -> dump_stack: the site is a reliable frame of the trace.
    old = analyze((CORPUS / "edge" / "dentry-in-use.log").read_text().replace(
        "  d_walk+0xd5/0x2b0", "  warn_slowpath_null+0x1d/0x20\n[ 3001.120071]  umount_check+0x5f/0x70\n"
        "[ 3001.120072]  d_walk+0xd5/0x2b0"))
    assert old.preceding and old.preceding[0].function == "umount_check"
    # mm/page_alloc.c's allocator warns for its caller: a skip rule fits the site, the walk goes past it.
    skipped = analyze((PRODUCTION / "satyr" / "rhbz-827868.txt").read_bytes())
    assert header_function("WARNING: at mm/page_alloc.c:2095 __alloc_pages_nodemask+0x1/0x2()") == "__alloc_pages_nodemask"
    assert skipped.title == "WARNING in pskb_expand_head"


def test_the_header_forms_name_the_site() -> None:
    assert header_function("WARNING: CPU: 1 PID: 2 at kernel/module.c:1108 module_put+0x57/0x70") == "module_put"
    # 6.18+: `WARNING: %s:%d at %pS, CPU#%d: %s/%d`.
    assert header_function("WARNING: net/core/dev.c:2861 at __netif_set_xps_queue+0x90a/0xb10, CPU#27: python3/3163") \
        == "__netif_set_xps_queue"
    assert header_function("WARNING: kernel/module.c:1108 at module_put (kernel/module.c:1108), CPU#1: insmod/2") == "module_put"
    # Negative: a message that only mentions a file and a line names no site.
    assert header_function("WARNING: CPU: 3 PID: 9 at kernel/module.c:1108") is None
    assert header_function("WARNING: see fs/inode.c:417 at boot") is None


@pytest.mark.parametrize(("header", "function"), [
    ("WARNING: CPU: 0 PID: 1 at fs/btrfs/inode.c:3274 btrfs_orphan_commit_root+0x1de/0x290 [btrfs]", "btrfs_orphan_commit_root"),
    # a site a skip rule fits (the kobject row's `kobject_`, a sleeping check) names no function: its caller was cut
    ("WARNING: CPU: 14 PID: 3336 at lib/kobject.c:219 kobject_add_internal+0x2eb/0x310", None),
    ("WARNING: CPU: 1 PID: 12 at kernel/sched/core.c:8721 __might_sleep+0x71/0x80", None),
])  # fmt: skip
def test_a_header_only_warning_names_its_site_as_function(header: str, function: str | None) -> None:
    report = analyze(f"------------[ cut here ]------------\n{header}\n")
    assert report.title.endswith(" in corrupted") and report.function == function
