"""The same crash captured by another tool, or printed by another boot, host or build, gets the same
title, culprit, kind and fingerprint (issue 13): tests/core/log_variants.py's transforms over the
development logs of the three corpora (sealed logs are never read).

A quarter of the development logs (by the SHA-256 of the case id, fixed) keeps the run to seconds;
tests/core/invariance.py runs them all by hand.  The variants known to change are listed with why.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pytest

from tests.core.invariance import development_logs, run
from tests.core.log_variants import TRANSFORMS, Family, split_prefix, variants

# (case, transforms) whose report legitimately changes, and why.  Everything else must hold.
_JOURNAL = frozenset({"monotonic", "iso", "precise", "full", "unix", "journal", "journal-locale"})  # no caller ids kept
_NO_KERNEL_CLOCK = _JOURNAL | {"no-time", "level", "level-bare", "dmesg-T", "dmesg-T-locale", "dmesg-H", "dmesg-x", "color", "rsyslog", "pstore"}
# The captures that put a prefix before every kernel line, a line without a printk time included.
_PREFIXED = _JOURNAL | {"add-time", "level", "level-bare", "dmesg-x", "rsyslog"}
KNOWN_VARIANT: dict[str, tuple[frozenset[str], str]] = {
    # The boot loader's `Booting the kernel.` is a reboot only after a stamped kernel line: a
    # capture of the kernel's buffer alone (dmesg, journal) has no boot loader line, and a console
    # without printk times cannot tell the kernel's earlier lines from the firmware's.
    "syzkaller/report-317": (_NO_KERNEL_CLOCK, "a reboot is seen only on a console with printk times"),
    # Two reports interleaved (two tasks' oopses, or a fault inside a lockdep report): only the printk
    # caller ids, which the journal drops, tell whose line is whose.
    "syzkaller/report-657": (_JOURNAL | {"no-caller"}, "nested report, one task"),
    "syzkaller/report-680": (_JOURNAL | {"no-caller"}, "two tasks interleaved"),
    # A report that names no culprit and whose header names no site is keyed on its header line's words (fingerprint
    # version 7, title.report_alternative): a header hard-wrapped by a quote's editor leaves words on the next line.
    "syzkaller/report-64": (frozenset({"wrapped"}), "a culprit-less report's key is its header's words"),
    "syzkaller/report-344": (frozenset({"wrapped"}), "a culprit-less report's key is its header's words"),
    # Quoting that takes away what named the culprit.  Jumping to non-executable memory leaves the
    # caller only as `? frame` entries: without them nothing names it.
    "lab/deb12-6.1_exec-nx_run2/console.log": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/deb12-6.1_exec-nx_run3/vmcore-dmesg.txt": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/sid-7.2_exec-nx_run2/console.log": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/deb12-6.1_lkdtm-exec-data_run1/console.log": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/deb13-6.12_lkdtm-exec-data_run1/console.log": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/deb11-5.10_lkdtm-exec-data_run1/vmcore-dmesg.txt": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/deb12-6.1-rt_lkdtm-exec-data_run2/console.log": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    "lab/sid-7.2_lkdtm-exec-data_run2/vmcore-dmesg.txt": (frozenset({"no-unreliable"}), "the culprit is only a ? frame"),
    # Only `?` frames name the culprit: a polled accessor's caller (the first word on the stack), a hung
    # task's chain on a kernel without frame pointers.
    "production/abrt/oops1-module-nouveau.txt": (frozenset({"no-unreliable"}), "a ? frame names it"),
    # A 3.4 WARNING whose every frame is a `?` guess: without them the header is quoted alone (`in corrupted`).
    "production/patches/yocto-ti-microcode-mc-device-remove-sysfs-warning.txt": (
        frozenset({"no-unreliable"}), "only ? frames"),
    "production/node-problem-detector/docker_hung.txt": (frozenset({"no-unreliable"}), "only ? frames"),
    "production/patches/stable-3.7.4-usb-io-ti-chase-port-null-deref.txt": (frozenset({"no-unreliable"}), "only ? frames"),
    # A 4.x KASAN report on a SLUB object (mm/slub.c print_track) prints the object's allocation and free stacks
    # above its own trace: without the `Call Trace:` line, the headless walk starts at the allocation stack.
    "production/patches/stable-4.9.269-jffs2-scan-dirent-crc-kasan-oob.txt": (
        frozenset({"no-call-trace"}), "the object's allocation stack comes first"),
    # A page fault quoted from die()'s `Oops:` line on (signatures oops-headless): only CR2 tells a NULL pointer
    # from a paging request; without the registers it is a paging request.
    "production/testsuites/drm-ci/vkms-compose-active-planes-6.9-256x85.txt": (
        frozenset({"no-registers"}), "a headless fault's CR2 is in its registers"),
    # The same kind of quote (data170's 4.4 scsi_target_reap oops), whose `RIP:` line is the eighth below the `Oops:`
    # line: wrapped at 72 columns, the long lines above it push it past the lines the headless row reads
    # (normalize.BODY_LINES) -- the row requires the PC's line so near that a lone `Oops: 0000 [#1]` is no report.
    "production/patches/stable-4.4.163-scsi-target-reap-kernfs-find-ns-null-deref.txt": (
        frozenset({"no-registers", "wrapped"}), "a headless fault's CR2 is in its registers; wrapping pushes its RIP line out"),
    # An author's wrap inside print_ip_sym's `[<%p>] %pS` (the symbol on a tab-indented line of its own):
    # `dmesg -H` stamps every record, and a stamp before the wrapped half models no capture (the wrap is the
    # mail's, not the kernel's record).
    "production/patches/stable-3.18.60-ffs-data-clear-udc-lock-circular-lockdep-arm64.txt": (
        frozenset({"dmesg-H"}), "a mail's wrap of an `at:` line stamped as a record"),
    # A patch tool re-cases a line's first word only (kcrashd.core.leader_case): a capture prefix added
    # to a re-cased quote models no real log (a stamped line was never re-cased).
    **{f"production/patches/{name}.txt": (_PREFIXED, "re-cased leaders behind a capture prefix")
       for name in ("suse-ext4-xattr-delete-inode-hung-mangled", "suse-memcg-swapin-null-deref-3.15",
                    "suse-ext4-shift-extents-kasan-mangled",
                    "suse-ath11k-pci-probe-free-irq-affinity-warning-mangled")},
    # A WARNING quoted as its header and message alone: re-cased to `Warning:` with no trace below it, it reads as a
    # user-space line (kcrashd.core.leader_case restores a header leader only above a trace or under a rule).
    "production/patches/t2linux-t2bce-core-client-put-managed-link-warning.txt": (
        frozenset({"tag-cased"}), "a re-cased header with no trace below"),
    # util-linux `dmesg -H` times: its raw mode (`-r`, the `<N>` levels) prints no -H time, so a level before
    # one models no real log.
    **{f"production/patches/{name}.txt": (frozenset({"level", "level-bare"}), "a dmesg -H capture given levels")
       for name in ("stable-amdgpu-dm-plane-scale-divide-error", "stable-amdgpu-userq-mgr-fini-kasan-uaf",
                    "stable-amdgpu-sched-entity-flush-kasan-uaf",
                    "suse-amdgpu-bo-release-notify-recursive-lockdep-wrapped")},
    # A trace cut after its 16th frame when the culprit is deeper (syzkaller's KASAN and lockdep
    # reports: allocator, sanitizer and lock frames first): the cut took it.
    **{f"syzkaller/report-{n}": (frozenset({"elided"}), "the culprit frame was cut")
       for n in (394, 412, 419, 422, 615, 663, 688)},
    # An arm64 soft lockup whose stack runs 34 frames deep (14 timer-interrupt frames above the interrupted
    # one): the cut takes the deep syscall frames the stall walk reads.
    "production/patches/stable-audit-inode-child-soft-lockup-arm64.txt": (frozenset({"elided"}),
                                                                          "the stall walk's frames were cut"),
    # Wraps not undone yet (each still to be read against the kernel's format; listed so that the
    # transform guards the families already fixed).
    **{case: (frozenset({"wrapped"}), "a wrap the core does not undo yet")
       for case in ("syzkaller/report-354", "syzkaller/report-722", "production/satyr/gitlog-30.txt",
                    "production/lkp-tests/dmesg-020.txt",
                    # a symbolized KASAN header whose `file:line [inline]` the wrap puts on a line of its own
                    "production/patches/stable-tipc-mon-reinit-self-kasan-uaf-rt.txt",
                    # an unstamped stack-protector panic line (kernel/panic.c __stack_chk_fail's `Kernel stack is
                    # corrupted in: %pS`) whose `%pS` the wrap puts on a line of its own
                    "production/patches/suse-ethtool-cmis-stack-protector-panic.txt")},
    # powerpc's KUAP WARN message is spelled `Bug: %s fault blocked by KUAP!` (arch/powerpc/mm/fault.c bad_kernel_fault),
    # printed between `cut here` and the WARNING header: a variant that cuts lines lets the re-cased-leader reading
    # (kcrashd.core.leader_case) take it for a `BUG:` header ahead of the WARNING.
    "production/patches/stable-5.13-ppc32-pmac-kuap-write-fault-warning.txt": (
        frozenset({"no-registers", "tag-cased", "trimmed", "wrapped"}), "the WARN message `Bug:` read as a re-cased header"),
    # A stamped quote whose wrap put the WARNING header's `%pS` on an unstamped line of its own (wrapped.continues joins
    # it back): a capture transform takes that line for no kernel line and drops it, and the site with it.
    "production/patches/stable-brcmfmac-fweh-detach-dongle-setup-warning.txt": (
        _NO_KERNEL_CLOCK | {"decoded"}, "the header's site is on an unstamped wrapped line a capture drops"),
    "production/patches/stable-5.15.33-igc-ringparam-xdp-rxq-info-reg-warning.txt": (
        _NO_KERNEL_CLOCK | {"decoded"}, "the header's site is on an unstamped wrapped line a capture drops"),
    # Both of the above: a re-cased quote (`Bug: KASAN:`) whose long inline header line is also not unwrapped.
    "production/patches/suse-ext4-find-extent-bigalloc-kasan-mangled.txt": (
        _PREFIXED | {"wrapped"}, "re-cased leaders behind a capture prefix; a wrap the core does not undo yet"),
    # A re-cased quote (`Warning:`) whose header the wrap cuts before its `file:line %pS`, so the irq core's free site
    # (signatures.py warn-irq-free) is not read from it; and re-cased leaders behind a capture prefix, as above.
    "production/patches/suse-ath11k-pci-probe-free-irq-affinity-warning-mangled.txt": (
        _PREFIXED | {"wrapped"}, "re-cased leaders behind a capture prefix; a wrap that cuts the irq free site"),
    # Rounds data77's and data79's SUSE case-mangled copies (`Bug:`, `In_atomic():`): re-cased leaders behind a capture prefix, as
    # above; and a stack-less sleeping report whose re-cased header, with no trace to confirm it, is not read as one.
    **{f"production/patches/{name}.txt": (_PREFIXED, "re-cased leaders behind a capture prefix")
       for name in ("suse-dm-verity-tasklet-hash-sleeping-mangled", "suse-ath9k-hif-usb-rx-stream-kasan-stack-oob-mangled")},
    "production/patches/suse-rt5640-irq-jack-work-sleeping-no-stack.txt": (
        frozenset({"tag-cased"}), "a re-cased stack-less header"),
    # A WARNING quoted as its message and header line alone (data118): re-cased, a stack-less header is not read as one
    # (as above); wrapped, the header's `%pS` on a line of its own reads as the trace syzkaller's `in corrupted` lacks.
    "production/patches/stable-6.1.93-sungem-netpoll-enabled-interrupts-warning.txt": (
        frozenset({"tag-cased", "wrapped"}), "a stack-less WARNING: re-cased, or its site wrapped into a frame line"),
    # The same as one 2025-format header line (data186: `WARNING: kernel/futex/core.c:825 at f+0x7a/0x80, CPU#11: comm/pid`).
    "production/patches/stable-5.10.253-futex-wait-for-owner-exiting-warning-line.txt": (
        frozenset({"tag-cased"}), "a re-cased stack-less header"),
    # A suspicious-RCU report quoted with blank lines between all its lines and no `stack backtrace:` (data127): the RCU
    # rows read their frames below `Call Trace:` (kernel/locking/lockdep.c lockdep_rcu_suspicious -> dump_stack), so
    # without that line no frame is read.
    "production/patches/stable-6.12.80-ext4-group-desc-free-kvfree-rcu-might-sleep.txt": (
        frozenset({"no-call-trace"}), "a suspicious-RCU report's frames read below its `Call Trace:` line only"),
    # An author-wrapped WARNING header whose `%pS` sits on the line below it (data119): decoded, that line is a
    # symbolizer's `f (file.c:N)` no header join reads, so the site is lost.
    "production/patches/stable-4.4.38-sparc64-find-node-numa-warning-wrapped.txt": (
        frozenset({"decoded"}), "an author-wrapped header's site decoded on its own line"),
    # An s390 trace whose addresses lost their brackets (frames.py): a symbolizer's `f (file.c:N)` behind such an
    # address models no real log, and the wrap cuts its long kernel-space fault header before `space`.
    "production/patches/suse-s390x-memcg-free-slab-ebcdic-oops.txt": (
        frozenset({"decoded", "wrapped"}), "bracketless addresses decoded; a wrapped fault header"),
    # A SLUB report whose only trace is its panic_on_taint panic's (events._reporter_panic), below a 1 KiB object's
    # hex dump: the wrap cuts the `BUG kmalloc-1k (...): Poison overwritten` header before its message; the trace's
    # `?` entries put the test past the 16th frame an elided quote keeps.
    "lab/deb12-6.1-arm64_lkdtm-write-after-free_run2/console.log": (frozenset({"wrapped"}), "a wrapped SLUB header"),
    "lab/deb13-6.12_lkdtm-write-after-free_run1/vmcore-dmesg.txt": (frozenset({"elided"}), "the culprit frame was cut"),
    # 5.10's LKDTM EXEC_USERSPACE trace is all `? ` entries (the jump left no reliable frame): dropping them drops the
    # culprit.  s390's EXEC_USERSPACE names the test only in the r14 line `([<...>] lkdtm_EXEC_USERSPACE+0x..)`, which
    # the wrap moves.
    **{f"lab/deb11-5.10_lkdtm-exec-userspace_run{n}/console.log": (frozenset({"no-unreliable"}),
                                                                    "the culprit is named only by `? ` frames")
       for n in (1, 2)},
    "lab/deb12-6.1-s390x_lkdtm-exec-userspace_run1/console.log": (frozenset({"wrapped"}),
                                                                   "a wrap the core does not undo yet"),
    # A lockdep report whose author wrapped each held-lock line after its `at:` (the function at column 0 below),
    # given a capture's prefix on every line: models no real log (a capture has no author's wraps), and the wrapped
    # rests read as kernel lines of their own.  (The ARM wlcore quote listed so before reads alike since its `from`
    # frames cut of their first address are read: frames._FRAME_PATTERNS.)
    "production/patches/stable-6.18.16-mlx5-dr-dump-start-circular-locking.txt": (
        (_NO_KERNEL_CLOCK - {"no-time"}) | {"add-time"}, "a capture's prefix on an author-wrapped quote"),
    # arm64 names no guard-page hit: kcrashd tells one by the fault address below the stack the `sp :` register is in
    # (stack_guard.py).  Without the registers it is the paging request the kernel printed; the wrap moves the
    # header's address to the next line.
    "lab/deb13-6.12-arm64_lkdtm-stack-guard-page-leading_run1/console.log": (
        frozenset({"no-registers", "wrapped"}), "a guard-page hit told by the `sp :` register and the header's address"),
}
# scripts/decode_stacktrace.sh prints `f (file.c:N)` for `f+0x0/0x18`: the offset 0 that shows a return address right
# below a noreturn call to lie past its caller's end (culprit._past_noreturn: `panic+0x184/0x364`, then
# `lab_exit+0x0/0x99c`) or s390's PSW at a function's start (culprit._S390_PSW_AT_START) is gone, and the decoded
# line names that function like any other.  tests/core/invariance.py finds 13 development logs of this family
# (production/chromiumos/TEST_ARM64_SERROR.txt, lab/deb12-6.1-{arm64,s390x}_{fortify,panic,sysrq,bug,no-root-fs}_run*),
# and the OpenHarmony arm64 sysrq panic (`panic+0x168/0x3e0`, then `sysrq_handle_term+0x0/0x38`); since 6.7 panic()
# itself ends in a call to the noreturn vpanic() (lab/deb13-6.12-arm64_* and sid-7.2-arm64_*: `vpanic+0x11c/0x338`,
# then `trace_suspend_resume+0x0/0x70`; sid-7.2-ppc64el_*: `vpanic+0x360/0x614`, then `do_panic_on_target_cpu+0x0/0x2c`);
# only the sampled ones are listed, as a listed log joins the sampled run (and its
# other variants' checks).
for _key in (*(f"lab/deb12-6.1-{_case}/console.log"
               for _case in ("arm64_panic_run1", "arm64_sysrq_run1", "s390x_fortify_run1", "s390x_no-root-fs_run1")),
             *(f"lab/deb13-6.12-arm64_{_case}/console.log"
               for _case in ("init-exit_run2", "lkdtm-write-after-free_run1", "slub-redzone_run1", "slub-redzone_run2")),
             "lab/sid-7.2-arm64_panic_run1/console.log",
             *(f"lab/sid-7.2-ppc64el_{_case}/console.log"
               for _case in ("corrupted-stack-end_run1", "panic_run2", "sched-atomic_run2", "sysrq_run1")),
             "production/openharmony/smartparser-008-rk3568-sysrq-panic-excerpt.txt"):
    _names, _why = KNOWN_VARIANT.get(_key, (frozenset(), ""))
    KNOWN_VARIANT[_key] = (_names | {"decoded"}, "; ".join(filter(None, (_why, "a decoded trace loses a +0x0 offset"))))


def _sampled(case: str) -> bool:
    return hashlib.sha256(case.encode()).digest()[0] % 4 == 0


@cache
def _changes() -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    logs = [(corpus, case, data) for corpus, case, data in development_logs(("syzkaller", "lab", "production"))
            if _sampled(f"{corpus}/{case}") or f"{corpus}/{case}" in KNOWN_VARIANT]
    applied, changes = run(logs)
    return dict(applied), [(f"{c.corpus}/{c.case}", c.transform, c.line()) for c in changes]


# Transforms that measure a gap still open (tests/core/invariance.py reports them), not yet held: traces trimmed
# to bare function names (`bare-frames`, `trimmed`) still lose a 2.6-4.8 trace of `?` guesses alone, a SLUB
# dump's trace with no `Call Trace:` line above it, a lockdep report's trimmed stacks and RCU stall dumps.
MEASURED_ONLY = frozenset({"bare-frames", "trimmed"})


@pytest.mark.parametrize("transform", [t.name for t in TRANSFORMS if t.name not in MEASURED_ONLY])
def test_variant_keeps_title_culprit_kind_and_fingerprint(transform: str) -> None:
    applied, changes = _changes()
    assert applied.get(transform, 0) > 0, f"{transform} applied to no development log"
    unexpected = [line for case, name, line in changes
                  if name == transform and transform not in KNOWN_VARIANT.get(case, (frozenset(), ""))[0]]
    assert not unexpected, "\n".join(unexpected)


def test_every_transform_says_what_it_reproduces() -> None:
    names = [t.name for t in TRANSFORMS]
    assert len(names) == len(set(names))
    assert all(t.why and t.family in Family for t in TRANSFORMS)
    assert {t.family for t in TRANSFORMS} == set(Family)


def test_prefix_split_reads_each_capture_field() -> None:
    p = split_prefix("host login: <4>[  12.345678][ T123] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2")
    assert (p.tty, p.level, p.time, p.caller) == ("host login: ", "<4>", "[  12.345678]", "[ T123] ")
    assert split_prefix("Dec  3 15:31:35 host kernel: text").syslog == "Dec  3 15:31:35 host kernel: "
    bare = split_prefix("[drm:intel_cpu_fifo_underrun_irq_handler [i915]] *ERROR* underrun")
    assert (bare.level, bare.time, bare.caller) == ("", "", "")


def test_transforms_apply_only_where_they_make_sense() -> None:
    stamped = b"<4>[   1.000000] BUG: unable to handle page fault\n<4>[   1.000001] RIP: 0010:f+0x1/0x2\n"
    names = {t.name for t, _ in variants(stamped)}
    assert {"level", "level-bare", "dmesg-x", "add-time"}.isdisjoint(names)  # levels and times are there
    assert {"no-time", "dmesg-T", "add-caller", "offsets"} <= names
    lava = b'- {"dt": "2024-01-01T00:00:00", "lvl": "target", "msg": "BUG: x"}\n'
    assert all(t.family is Family.BOOT for t, _ in variants(lava))  # a CI's job record is no capture


def test_every_known_variant_still_differs() -> None:
    """A KNOWN_VARIANT entry whose log no listed transform changes any more is stale: the gap it names was
    closed, and the entry would hide it reopening."""
    _, changes = _changes()
    differing = {case for case, name, _ in changes if name in KNOWN_VARIANT.get(case, (frozenset(), ""))[0]}
    stale = sorted(set(KNOWN_VARIANT) - differing)
    assert not stale, "no longer differ: " + ", ".join(stale)
