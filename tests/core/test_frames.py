"""Skip lists skip the kernel's own primitives, never a driver function that merely looks like one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcrashd.core import frames


@pytest.mark.parametrize(
    "name",
    ["panic", "nmi_panic", "__reiserfs_panic", "check_panic_on_warn", "dump_stack_lvl", "__warn", "kfree",
     "kmem_cache_free", "set_freepointer", "__list_del_entry_valid_or_report", "_raw_spin_lock_irqsave",
     "mutex_lock_nested", "memcpy", "copy_to_user", "klist_next", "device_del", "refcount_warn_saturate",
     "__copy_from_user_inatomic", "__copy_tofrom_user", "__copy_msghdr_from_user", "__filemap_get_folio"],
)
def test_generic_frames_are_skipped(name: str) -> None:
    assert frames.is_skipped(name)


@pytest.mark.parametrize(
    "name",
    ["lab_trigger_panic", "mydrv_wait_for_fw", "mydrv_lock_stats", "input_register_device", "mydrv_flush_workqueue",
     "device_find_child", "skb_release_data", "__alloc_skb", "kernfs_add_one", "wake_up_new_task", "__call_rcu",
     # an skb helper that copies one buffer's header into its clone is no user-memory copy
     "__copy_skb_header",
     # a batch walk of the page cache's xarray for its caller's range, where a walk over a torn mapping faults
     "filemap_get_folios_tag", "filemap_get_folios_contig"],
)
def test_culprits_are_not_skipped(name: str) -> None:
    assert not frames.is_skipped(name)


@pytest.mark.parametrize("name", ["schedule", "io_schedule", "wait_for_completion", "mutex_lock_nested",
                                  "rwsem_down_read_slowpath", "filemap_fdatawait_keep_errors", "rcu_barrier"])
def test_hang_skips_wait_and_lock_primitives(name: str) -> None:
    assert frames.HANG_SKIP.match(name)


@pytest.mark.parametrize("name", ["mydrv_wait_for_fw", "wait_event_mydrv", "lab_trigger_hung_task", "iterate_bdevs"])
def test_hang_keeps_driver_functions_with_wait_in_the_name(name: str) -> None:
    assert not frames.HANG_SKIP.match(name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("foo.isra.0", "foo"), ("foo.constprop.3", "foo"), ("foo.cold", "foo"), (".iounmap", "iounmap"),
     ("_Z8fakeNameiii", "fakeName")],
)
def test_clean_function(raw: str, clean: str) -> None:
    assert frames.clean_function(raw) == clean


def test_syscall_wrappers_agree_across_arches() -> None:
    assert frames.strip_syscall("__x64_sys_recvmmsg") == frames.strip_syscall("__arm64_sys_recvmmsg") == "sys_recvmmsg"
    assert frames.strip_syscall("__se_sys_memfd_secret") == "memfd_secret"


def test_clear_caches_forgets_every_memo_table() -> None:
    from kcrashd.core import analyze, clear_caches
    from kcrashd.core import frames as frame_module

    analyze(b"[    1.0] Call Trace:\n[    1.0]  <TASK>\n[    1.0]  foo_bar+0x1/0x2 [mod]\n")
    clear_caches()
    memos = (frame_module.parse_frames, frame_module.fault_pc, frame_module._globally_skipped)
    assert all(memo.cache_info().currsize == 0 for memo in memos)


# Names of each kind: lock wrappers alone, lock wrappers another rule also fits, skipped, kept.
LOCK_WRAPPER_CASES = [
    ("btrfs_tree_read_lock", False),
    ("ocfs2_inode_write_lock", False),
    ("_raw_read_lock", True),  # a kernel rwlock: the rwlock rule fits too
    ("rt_write_lock", True),
    ("read_lock", True),
    ("__kmalloc", True),
    ("printk", True),
    ("ext4_fill_super", False),
]


@pytest.mark.parametrize(("name", "skipped"), LOCK_WRAPPER_CASES)
def test_skipped_but_lock_wrappers_is_every_other_rule(name: str, skipped: bool) -> None:
    others = re.compile("|".join(rule for rule in frames._SKIP_RULES if rule != frames.LOCK_WRAPPER_RULE))
    assert frames.skipped_but_lock_wrappers(name) is skipped
    assert (others.search(name) is not None) is skipped


def test_the_list_without_lock_wrappers_is_compiled_only_for_a_lock_wrapper() -> None:
    """6 KB of pattern: a log whose frames hold no `*_read_lock`/`*_write_lock` does not compile it."""
    from kcrashd.core import analyze_json

    example = Path(__file__).resolve().parents[2] / "examples" / "127.0.0.1-2020-04-28-01:31:54" / "vmcore-dmesg.txt"
    frames._skip_but_lock_wrappers.cache_clear()
    assert "sysrq_handle_crash" in analyze_json(example.read_bytes())
    assert frames._skip_but_lock_wrappers.cache_info().currsize == 0
    assert frames.skipped_but_lock_wrappers("btrfs_tree_read_lock") is False
    assert frames._skip_but_lock_wrappers.cache_info().currsize == 1


# arm32 names each caller twice (arch/arm/kernel/traps.c dump_backtrace_entry: `callee from caller`): the
# report lists it once.  Both formats: `[<addr>] (callee) from [<addr>] (caller+0x1/0x2)` (before 5.17,
# or with CONFIG_BACKTRACE_VERBOSE) and ` callee from caller+0x1/0x2` (since).
_ARM_OLD = """Internal error: Oops: 5 [#1] SMP ARM
[<c04f1a10>] (strlen) from [<bf0012a4>] (foo_probe+0x24/0x90 [foo])
[<bf0012a4>] (foo_probe [foo]) from [<c05a3b10>] (platform_probe+0x5c/0xb8)
[<c05a3b10>] (platform_probe) from [<c05a1f00>] (really_probe+0xe4/0x2f0)
"""
_ARM_NEW = """Internal error: Oops: 5 [#1] SMP ARM
 strlen from foo_probe+0x24/0x90 [foo]
 foo_probe [foo] from platform_probe+0x5c/0xb8
 platform_probe from really_probe+0xe4/0x2f0
"""


@pytest.mark.parametrize("log", [_ARM_OLD, _ARM_NEW], ids=["verbose", "since-5.17"])
def test_arm32_callers_are_listed_once(log: str) -> None:
    from kcrashd.core.extract import extract_facts

    texts = log.splitlines()
    names = [f["function"] for f in extract_facts(log, texts).frames]
    assert names == ["strlen", "foo_probe", "platform_probe", "really_probe"]


def test_a_recursive_arm32_caller_stays_twice() -> None:
    """Only a line's caller half and the next line's callee are one frame: a function that calls itself
    shows as two lines, each naming it."""
    from kcrashd.core.extract import extract_facts

    log = " walk from walk+0x10/0x40\n walk from do_walk+0x8/0x20\n"
    names = [f["function"] for f in extract_facts(log, log.splitlines()).frames]
    assert names == ["walk", "walk", "do_walk"]


# An s390 trace copied through a mismatched EBCDIC code page loses its address brackets (`Ý#1¨` for `[#1]` in the
# same paste): the address, then the symbol.
@pytest.mark.parametrize(("line", "function", "reliable"), [
    (" <00000000001f5886> rcu_core+0x5a6/0x7e0", "rcu_core", True),
    ("(<00000000003cabcc> __free_slab+0x49c/0x6b0)", "__free_slab", False),
    (" <0000000000ca2dea> __do_softirq+0xf2/0x5c0 [mod]", "__do_softirq", True),
])  # fmt: skip
def test_a_frame_whose_address_lost_its_brackets(line: str, function: str, reliable: bool) -> None:
    (frame,) = frames.parse_frames(line)
    assert (frame.function, frame.reliable) == (function, reliable)


@pytest.mark.parametrize("line", [
    "<4>rcu_core+0x5a6/0x7e0",  # a raw printk level, no address
    " <00000000001f5886>rcu_core+0x5a6/0x7e0",  # no space after the address
    " <0000000000000000> 0x0",  # no symbol
    "Oops: 0004 ilc:3 <000000> PREEMPT SMP",
])  # fmt: skip
def test_other_angle_bracketed_lines_are_no_frames(line: str) -> None:
    assert frames.parse_frames(line) == ()


# A 32-bit ARM trace quoted without its first address column (arch/arm/kernel/traps.c dump_backtrace_entry prints
# `[<%08lx>] (%ps) from [<%08lx>] (%pS)`): the callee and the caller are read as from the whole line.
@pytest.mark.parametrize(("line", "functions"), [
    ("(sysc_wait_softreset) from [<c0606894>] (sysc_enable_module+0x48/0x274)", ["sysc_wait_softreset", "sysc_enable_module"]),
    (" (dump_stack) from [<8016e164>] (do_raw_spin_lock+0x124/0x128)", ["dump_stack", "do_raw_spin_lock"]),
    ("[<c0772060>] (input_unregister_device) from [<c0772060>] (exynos_adc_remove+0x20/0x80)",
     ["input_unregister_device", "exynos_adc_remove"]),
])  # fmt: skip
def test_an_arm32_frame_line_without_its_first_address(line: str, functions: list[str]) -> None:
    assert [f.function for f in frames.parse_frames(line)] == functions


@pytest.mark.parametrize("line", [
    "(see the log) from [<c0606894>] (sysc_enable_module+0x48/0x274)",  # words, not a symbol
    "(sysc_wait_softreset) from (sysc_enable_module+0x48/0x274)",  # no caller address
])  # fmt: skip
def test_parenthesised_words_are_no_arm32_frame(line: str) -> None:
    assert frames.parse_frames(line) == ()


# A ppc64 trace line (arch/powerpc/kernel/process.c show_stack: `[%lx] [%lx] %pS`) and NIP line (show_regs:
# `NIP [%016lx] %pS`) as quotes leave them: one address column cut, or `[...]` for an address.
@pytest.mark.parametrize(("line", "function", "reliable"), [
    ("[c0000022d77836e0] [c00000000077dacc] fortify_panic+0x24/0x38 (unreliable)", "fortify_panic", False),
    ("[c00800000deb2660] papr_scm_pmu_check_events.constprop.0+0x118/0x220 [papr_scm]", "papr_scm_pmu_check_events", True),
    ("[...] proc_keys_show+0x308/0x4c0", "proc_keys_show", True),
    ("[...] [...] request_key_auth_describe+0x54/0xd0 (unreliable)", "request_key_auth_describe", False),
])  # fmt: skip
def test_a_ppc64_frame_with_a_cut_or_elided_address(line: str, function: str, reliable: bool) -> None:
    (frame,) = frames.parse_frames(line)
    assert (frame.function, frame.reliable) == (function, reliable)


@pytest.mark.parametrize("line", ["[drm] intel_fbc_enable+0x10/0x20", "[..] f+0x1/0x2", "[c0000] f+0x1/0x2", "[....] f+0x1/0x2"])
def test_bracketed_words_are_no_ppc64_address(line: str) -> None:
    assert frames.parse_frames(line) == ()


def test_a_ppc64_nip_line_with_an_elided_address_names_the_pc() -> None:
    assert frames.fault_pc("NIP [...] request_key_auth_describe+0x90/0xd0") == "request_key_auth_describe"
    assert frames.fault_pc("NIP [..] request_key_auth_describe+0x90/0xd0") is None


# A decoded PC or frame line (scripts/decode_stacktrace.sh: `f (file.c:N)`) that a quote wrapped inside its parentheses.
@pytest.mark.parametrize(("line", "function"), [
    ("RIP: 0010:iptunnel_xmit (./include/net/ip_tunnels.h:664", "iptunnel_xmit"),
    ("RIP: 0010:iptunnel_xmit (./include/net/ip_tunnels.h:664 net/ipv4/ip_tunnel_core.c:89)", "iptunnel_xmit"),
])  # fmt: skip
def test_a_decoded_pc_wrapped_inside_its_position(line: str, function: str) -> None:
    assert frames.fault_pc(line) == function


@pytest.mark.parametrize("line", ["RIP: 0010:iptunnel_xmit (./include/net/ip_tunnels.h", "RIP: 0010:iptunnel_xmit (see ip_tunnels.h:664"])
def test_a_decoded_pc_needs_its_line_number(line: str) -> None:
    assert frames.fault_pc(line) is None


@pytest.mark.parametrize(("line", "reliable"), [
    # x86's function padding (CONFIG_CALL_PADDING): `__pfx_f+0x10/0x10` is f's entry, a pointer left on the stack,
    # never a return address, however the quote printed it
    ("  __pfx_kvm_nx_huge_page_recovery_worker+0x10/0x10 [kvm]", False),
    (" ? __pfx_worker_thread+0x10/0x10", False),
    # a function whose name merely holds the letters stays a frame
    ("  kvm_vm_worker_thread+0x106/0x1c0 [kvm]", True),
    ("  pfx_table_lookup+0x10/0x40", True),
])
def test_a_padding_symbol_is_never_a_reliable_frame(line: str, reliable: bool) -> None:
    (frame,) = frames.parse_frames(line)
    assert frame.reliable is reliable
