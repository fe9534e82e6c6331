"""Report forms a quote leaves without a line the kernel printed (a register's address, the access line, the
`WARNING:` header, the RIP line): each rule reads what the kernel's printing code shows (named); negatives beside them.
"""

from __future__ import annotations

from kcrashd.core import analyze, frames
from tests.core.golden import CORPUS
from tests.core.test_miss_families import _v3_key

PATCHES = CORPUS / "production" / "patches"


# --- arch/powerpc/kernel/process.c show_regs: `NIP [%016lx] %pS`, `LR [%016lx] %pS`, the address stripped ------


def test_a_nip_line_without_its_address_names_the_faulting_function() -> None:
    # syzkaller's RIP-frame pattern takes zero to two bracketed addresses after `NIP`.
    assert frames.fault_pc("NIP perf_instruction_pointer+0x10/0x60") == "perf_instruction_pointer"
    assert frames.fault_pc("NIP  [c0021f0c] perf_instruction_pointer+0x10/0x60") == "perf_instruction_pointer"
    assert frames.fault_pc("NIP [c000000000123456] [c000000000123456] .f+0x1/0x2") == "f"


def test_other_nip_lines_are_no_pc_lines() -> None:
    # Negative: the register line (`NIP:  c0021f0c LR: ...`) names no function, nor a word that only starts with NIP.
    assert frames.fault_pc("NIP:  c0021f0c LR: c00e8ad8 CTR: c00d8a5c") is None
    assert frames.fault_pc("NIPA_poll+0x1/0x2") is None


def test_a_ppc_oops_quoted_without_addresses_names_the_nip_function() -> None:
    report = analyze((PATCHES / "suse-ppc32-perf-null-deref.txt").read_bytes())
    assert report.function == "perf_instruction_pointer"
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in perf_instruction_pointer"
    # Version 3 named the link register's function: its key continues.
    assert _v3_key("bad-access in perf_prepare_sample") in report.fingerprint_aliases


_PPC_NULL_CALL = (
    "BUG: Kernel NULL pointer dereference on read at 0x00000000\n"
    "Faulting instruction address: 0x00000000\n"
    "Oops: Kernel access of bad area, sig: 11 [#1]\n"
    "NIP:  00000000 LR: c00e8ad8 CTR: 00000000\n"
    "NIP {nip}\n"
    "LR  mydrv_notify+0x44/0x90 [mydrv]\n"
    "Call Trace:\n"
    "  blocking_notifier_call_chain+0x7c/0xf0 (unreliable)\n"
    "  mydrv_remove+0x30/0x90 [mydrv]\n"
    "  platform_remove+0x3c/0x70\n"
)


def test_a_null_call_quoted_without_addresses_names_the_link_register() -> None:
    # %pS of no symbol prints `0x%lx` (lib/vsprintf.c): the link register holds the caller's return address.
    report = analyze(_PPC_NULL_CALL.format(nip="0x0"))
    assert report.function == "mydrv_notify"
    # Version 3 read neither line: the trace's first frame, its key continues.
    assert _v3_key("bad-access in mydrv_remove") in report.fingerprint_aliases


def test_a_nip_without_0x_is_no_raw_pc() -> None:
    # Negative: a bare hex word after `NIP` is no %pS output (no symbol prints `0x%lx`): no raw PC, so the
    # link register is not read for it, and the trace names the culprit.
    assert frames.fault_pc("NIP 00000000") is None
    assert analyze(_PPC_NULL_CALL.format(nip="00000000")).function == "mydrv_remove"


# --- mm/kasan/report.c of 4.0-4.x: `BUG: KASan: %s in %pS at addr %p`, later `BUG: KASAN: ... at addr` ------------
# With the access line (`Read of size N by task`) syzkaller titles `KASAN: <class> <Read|Write> in <func>`; without it
# the report is corrupted and titled by its header, `KASAN: <class> in <func> at addr ADDR`.  %pS of a module's
# function appends ` [mod]` (kernel/kallsyms.c __sprint_symbol): no title carries it, as none carries the offset.

_OLD_KASAN = (
    "BUG: KASAN: use-after-free in mydrv_ioctl+0x504/0x630{mod} at addr ffff8801f2241cb1\n"
    "{access}"
    "Call Trace:\n"
    " [<ffffffff81b03781>] dump_stack+0x63/0x82\n"
    " [<ffffffff815395fe>] __asan_report_load1_noabort+0x2e/0x30\n"
    " [<ffffffffa07aadf4>] mydrv_ioctl+0x504/0x630{mod}\n"
    " [<ffffffff815b515b>] do_vfs_ioctl+0x54b/0xda0\n"
)
_ACCESS = "Read of size 1 by task a.out/4711\n"


def test_an_old_kasan_header_without_its_access_line_drops_the_module() -> None:
    report = analyze(_OLD_KASAN.format(mod=" [mydrv]", access=""))
    assert report.title == "KASAN: use-after-free in mydrv_ioctl at addr ADDR"
    assert report.function == "mydrv_ioctl"
    assert report.corrupted
    # Version 3 kept the module in the title: its key continues.
    assert _v3_key("KASAN: use-after-free in mydrv_ioctl [mydrv] at addr ADDR") in report.fingerprint_aliases


def test_a_module_tag_glued_to_the_offset_is_no_part_of_the_title() -> None:
    # kernel/kallsyms.c __sprint_symbol prints ` [%s]` after `+0x1/0x2`; a quote that lost the blank keeps the tag
    # right after the size (production patches/stable-4.14.117-hns-nic-net-xmit-hw-kasan-uaf-line).
    glued = analyze("BUG: KASAN: use-after-free in hns_nic_net_xmit_hw+0x708/0xa18[hns_enet_drv]\n")
    spaced = analyze("BUG: KASAN: use-after-free in hns_nic_net_xmit_hw+0x708/0xa18 [hns_enet_drv]\n")
    assert glued.title == spaced.title == "KASAN: use-after-free in hns_nic_net_xmit_hw"
    assert glued.fingerprint == spaced.fingerprint
    # Negative: a bracket that follows no offset (a `%ps` name alone, then other words) is left to the other rules.
    assert "[" not in analyze(_OLD_KASAN.format(mod=" [mydrv]", access="")).title


def test_the_quoted_alsa_kasan_report_is_titled_by_its_header() -> None:
    report = analyze((PATCHES / "deepin-alsa-seq-create-port-kasan.txt").read_bytes())
    assert report.title == "KASAN: use-after-free in snd_seq_ioctl_create_port at addr ADDR"


def test_an_old_kasan_header_without_a_module_keeps_its_title() -> None:
    # Negative: a built-in function's header titles as before.
    report = analyze(_OLD_KASAN.format(mod="", access=""))
    assert report.title == "KASAN: use-after-free in mydrv_ioctl at addr ADDR"


def test_an_old_kasan_header_with_its_access_line_names_the_access() -> None:
    # Negative: with the access line the title is syzkaller's access title, with or without a module.
    for mod in ("", " [mydrv]"):
        report = analyze(_OLD_KASAN.format(mod=mod, access=_ACCESS))
        assert report.title == "KASAN: use-after-free Read in mydrv_ioctl"
        assert not report.corrupted


def test_a_bracket_after_a_name_without_offset_is_no_module() -> None:
    # Negative: ` [x]` only follows `+0x1/0x2` in %pS output; elsewhere it stays.
    report = analyze("BUG: KASAN: use-after-free in mydrv_ioctl [mydrv] at addr ffff8801f2241cb1\n")
    assert "[mydrv]" in report.title


# --- lib/debugobjects.c debug_print_object: `ODEBUG: ...` always through WARN(1, ...) -------------------------------

_ODEBUG = "ODEBUG: free active (active state 0) object type: timer_list hint: mydrv_timer_fn+0x0/0x90\n"
_ODEBUG_WARNING = (
    "------------[ cut here ]------------\n"
    + _ODEBUG
    + "{warning}"
    "Modules linked in: mydrv\n"
    "CPU: 0 PID: 4711 Comm: kworker/u4:4 Not tainted 5.3.0 #1\n"
    "RIP: 0010:debug_print_object+0x166/0x220\n"
    "Call Trace:\n"
    " debug_check_no_obj_freed+0x464/0x5b0\n"
    " kfree+0xf6/0x2b0\n"
    " mydrv_release+0x62/0xa0 [mydrv]\n"
    " __fput+0x2f9/0x7a0\n"
    "---[ end trace 8d3a5b1e0b39a5f6 ]---\n"
)
_WARNING_LINE = "WARNING: CPU: 0 PID: 4711 at lib/debugobjects.c:484 debug_print_object+0x166/0x220\n"


def test_an_odebug_message_without_its_warning_line_is_the_warning() -> None:
    whole = analyze(_ODEBUG_WARNING.format(warning=_WARNING_LINE))
    quoted = analyze(_ODEBUG_WARNING.format(warning=""))
    assert whole.title == "WARNING: ODEBUG bug in mydrv_release"
    assert (quoted.title, quoted.kind, quoted.function) == (whole.title, whole.kind, whole.function)


def test_a_decoded_odebug_quote_names_the_freeing_function() -> None:
    # scripts/decode_stacktrace.sh's `f (file.c:123)` frames, past the debug-objects and hrtimer helpers.
    report = analyze((PATCHES / "deepin-rt-futex-odebug-hrtimer.txt").read_bytes())
    assert (report.title, report.kind) == ("WARNING: ODEBUG bug in futex_lock_pi", "warning")


def test_a_decoded_frame_is_a_frame() -> None:
    assert frames.parse_frames("futex_lock_pi (kernel/futex.c:2740)") == (frames.FrameLine("futex_lock_pi", None, None, True),)
    found = frames.parse_frames(" SyS_futex (kernel/futex.c:3447 kernel/futex.c:3415)")
    assert [f.function for f in found] == ["SyS_futex"]
    # Negative: words in parentheses that are no `file:line`.
    assert frames.parse_frames("Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)") == ()
    assert frames.parse_frames("mydrv (O) loaded") == ()


def test_a_lone_odebug_message_is_no_report() -> None:
    # Negative: with no trace below it (a flood of messages, one dropped from a log) it stays as it was.
    flood = _ODEBUG * 20 + "mydrv: device removed\n"
    assert analyze(flood).title == ""
    assert analyze(_ODEBUG + "\nsome other line\n").title == ""


def test_other_odebug_notices_are_no_reports() -> None:
    # Negative: debugobjects' notices that are no WARN(), a trace below or not.
    for notice in ("ODEBUG: Out of memory. ODEBUG disabled\n", "ODEBUG: 213 of 213 active objects replaced\n"):
        assert analyze(notice + " mydrv_release+0x62/0xa0 [mydrv]\n").title == ""


def test_an_odebug_message_next_to_its_warning_line_is_one_report() -> None:
    # Negative: the `WARNING:` line (below the message since 4.1x, above it before) carries it: one report.
    for log in (_ODEBUG_WARNING.format(warning=_WARNING_LINE), _WARNING_LINE + _ODEBUG_WARNING.format(warning="")):
        report = analyze(log)
        assert report.signature == "warn-odebug"
        assert report.preceding == []


# --- kernel/panic.c __warn: `WARNING: CPU: %d PID: %d at %pS`, quoted without its RIP line and trace header -------

_QUOTED_WARNING = (
    "WARNING: CPU: 1 PID: 3539 at {site}\n"
    "{more}"
    " mydrv_xmit+0x209/0x1b20 drivers/net/mydrv.c:774\n"
    " dev_hard_start_xmit+0x261/0x8c0 net/core/dev.c:3611\n"
    " __dev_queue_xmit+0x1b97/0x3c90 net/core/dev.c:4261\n"
)
_SITE = "net/core/dev.c:3284 skb_checksum_help+0x3d0/0x5b0"


def test_a_warning_quoted_without_rip_and_trace_header_names_its_site() -> None:
    report = analyze(_QUOTED_WARNING.format(site=_SITE, more=""))
    assert report.title == "WARNING in skb_checksum_help"
    # Version 3 named the first frame the quote kept: its key continues.
    assert _v3_key("WARNING in mydrv_xmit") in report.fingerprint_aliases


def test_the_quoted_flatcar_warning_names_its_site() -> None:
    report = analyze((PATCHES / "flatcar-skb-checksum-help-warning.txt").read_bytes())
    assert report.function == "skb_checksum_help"


def test_a_warning_with_its_trace_header_names_its_site_and_with_its_rip_reads_the_rip() -> None:
    # A `Call Trace:` line without the RIP line: a trap-based WARN's trace starts at the site's caller, so the
    # header's site is the culprit, as the RIP line would name it (tests/core/test_warn_site.py).
    assert analyze(_QUOTED_WARNING.format(site=_SITE, more="Call Trace:\n")).function == "skb_checksum_help"
    # Negative: a RIP line is read as ever, and a trace that shows the site as a frame is walked.
    rip = "RIP: 0010:mydrv_csum+0x3d0/0x5b0 drivers/net/mydrv.c:3284\n"
    assert analyze(_QUOTED_WARNING.format(site=_SITE, more=rip)).function == "mydrv_csum"
    # An arch unwinder that shows a frame above the site (arc's arc_unwind_core, not skipped): the site shown as a
    # reliable frame keeps the walk, which names that frame.
    shown = "Call Trace:\n arc_unwind_core+0xa4/0x118\n warn_slowpath_fmt+0x72/0x158\n skb_checksum_help+0x3d0/0x5b0\n"
    assert analyze(_QUOTED_WARNING.format(site=_SITE, more=shown)).function == "arc_unwind_core"


def test_a_skipped_site_keeps_the_walk() -> None:
    # Negative: a helper the skip lists pass over (a timer's) warned for its caller.
    report = analyze(_QUOTED_WARNING.format(site="kernel/time/timer.c:1003 __mod_timer+0x4e/0x60", more=""))
    assert report.function == "mydrv_xmit"


def test_a_warning_without_frames_stays_corrupted() -> None:
    # Negative: syzkaller titles a WARNING with no stack at all `WARNING in corrupted`.
    report = analyze("WARNING: CPU: 2 PID: 2636 at ipc/shm.c:162 shm_open+0x74/0x80\nModules linked in:\n")
    assert report.title == "WARNING in corrupted"


# --- arch/powerpc/xmon/xmon.c excprint: `    pc: %lx: %pS` (xmon_print_symbol(nip, ": ", "\n")) --------------------

def test_an_xmon_pc_line_names_the_faulting_function() -> None:
    assert frames.fault_pc("    pc: c0000000004b9728: memunmap_pages+0x238/0x340") == "memunmap_pages"
    assert frames.fault_pc("    pc: c0000000003cb50c: .gen_pool_destroy+0xac/0x110") == "gen_pool_destroy"
    # Negatives: xmon's link register line, and its stack pointer line (no symbol).
    assert frames.fault_pc("    lr: c0000000004b9724: memunmap_pages+0x234/0x340") is None
    assert frames.fault_pc("    sp: c0000000bb0e7be0") is None


def test_an_xmon_kernel_bug_names_the_pc_function() -> None:
    for name, function in (("stable-3.6.5-genalloc-ppc64-kernel-bug.txt", "gen_pool_destroy"),
                           ("stable-4.19.100-memunmap-pages-kernel-bug.txt", "memunmap_pages")):  # fmt: skip
        report = analyze((PATCHES / name).read_bytes())
        assert (report.title, report.function) == (f"kernel BUG in {function}", function)


# --- x86 show_regs `RIP: %04x:%pS` (3.x `RIP: %04lx:[<%016lx>] `), a space put after the segment by a quote -------

def test_a_rip_line_with_a_space_after_its_segment_names_the_function() -> None:
    assert frames.fault_pc("RIP: 0010: [<ffffffffc020ac69>] hfi1_dev_affinity_init+0x129/0x6a0 [hfi1]") == (
        "hfi1_dev_affinity_init"
    )
    assert frames.fault_pc("RIP: 0010: kthread_stop+0x52/0x300") == "kthread_stop"
    # Negatives: a segment alone, and a `(null)` PC, name no function.
    assert frames.fault_pc("RIP: 0010: [<0000000000000000>]") is None
    assert frames.fault_pc("RIP: 0010:          (null)") is None
