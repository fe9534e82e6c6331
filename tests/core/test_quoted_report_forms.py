"""Report forms quoted in commit messages and pasted logs that version 4 before this change left `in corrupted` (issue 13, "No
culprit"): each rule reads what the kernel or a quoting convention prints (named); negatives beside them.
"""

from __future__ import annotations

import pytest

from kcrashd.core import analyze, frames
from kcrashd.core.fingerprint import fingerprint_title
from kcrashd.core.normalize import header_lines, load_lines, parse_line
from tests.core.golden import CORPUS
from tests.core.test_miss_families import _v3_key

PATCHES = CORPUS / "production" / "patches"


# --- fs/proc/base.c proc_pid_stack: `[<0>] %pB`, the address hidden -------------------------------------------


def test_a_hidden_address_frame_is_a_frame() -> None:
    assert frames.parse_frames("[<0>] release_pages+0x159/0x3d0") == (
        frames.FrameLine("release_pages", "0x159/0x3d0", None, True),
    )
    found = frames.parse_frames(" [<0>] sev_unpin_memory+0x2c/0x50 [kvm_amd]")
    assert [(f.function, f.module) for f in found] == [("sev_unpin_memory", "kvm_amd")]


def test_other_short_addresses_are_no_frames() -> None:
    # Negative: only the literal zero the format prints; a printk level `<0>` is no frame either.
    assert frames.parse_frames("[<1>] release_pages+0x159/0x3d0") == ()
    assert frames.parse_frames("[<00>] release_pages+0x159/0x3d0") == ()
    assert frames.parse_frames("<0>release_pages+0x159/0x3d0") == ()


_PROC_STACK_OOPS = (
    "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
    "Oops: 0000 [#1] SMP\n"
    "Call Trace:\n"
    "{frame} mydrv_release+0x23/0x70 [mydrv]\n"
    "{frame} __fput+0xdf/0x1f0\n"
    "{frame} task_work_run+0x8a/0xb0\n"
)


def test_a_trace_pasted_from_proc_names_its_culprit() -> None:
    report = analyze(_PROC_STACK_OOPS.format(frame="[<0>]"))
    assert report.function == "mydrv_release"
    # Version 3 read no such frame (`in corrupted`): that key continues.
    assert _v3_key("bad-access in corrupted") in report.fingerprint_aliases


def test_a_proc_like_trace_with_another_bracket_stays_unread() -> None:
    # Negative: `[<1>]` is no format the kernel prints.
    report = analyze(_PROC_STACK_OOPS.format(frame="[<1>]"))
    assert report.function is None


# --- printk times as kernel commit messages quote them: `[ ]` blanked, `[   72.835674 ]` spaced -----------------
# Upstream commit messages blank the times (7d54c15cb89a ftrace, 25016bd7f4ca lockdep, 459777724d30 drm/xe) or
# space them (942bd1070c3a mac80211, the mwl8k and ksmbd fixes): the line is still the kernel's.


def test_a_spaced_timestamp_is_a_timestamp() -> None:
    assert parse_line("[   72.835674 ] WARNING: CPU: 0 PID: 1193 at f+0x1/0x2") == (
        "WARNING: CPU: 0 PID: 1193 at f+0x1/0x2", "console", True,
    )
    assert parse_line("[   72.835674 ][  T1193] Call trace:") == ("Call trace:", "T1193", True)
    assert parse_line("<4>[   72.835674 ]  __skb_get_hash+0x7c/0x228") == (" __skb_get_hash+0x7c/0x228", "console", True)


def test_a_blanked_timestamp_is_a_timestamp() -> None:
    assert parse_line("[ ]  ? bit_wait_io+0x50/0x50") == (" ? bit_wait_io+0x50/0x50", "console", True)
    assert parse_line("[ ] rcu: INFO: rcu_sched self-detected stall on CPU")[0] == "rcu: INFO: rcu_sched self-detected stall on CPU"
    # Blanked to `[]` with no space left (the stable queue's blk-mq, tipc and perf/x86 LBR fixes quote so).
    assert parse_line("[]  kmem_cache_alloc+0x36/0x250") == (" kmem_cache_alloc+0x36/0x250", "console", True)


def test_a_report_quoted_with_empty_brackets_reads_its_trace() -> None:
    report = analyze((PATCHES / "stable-5.12.14-perf-x86-lbr-add-xsave-alloc-sleeping.txt").read_bytes())
    assert report.title == "BUG: sleeping function called from invalid context in intel_pmu_lbr_add"


def test_other_brackets_are_no_timestamps() -> None:
    # Negatives: a boot status, a bracket with no text after it, a time padded past any quote's habit.
    assert parse_line("[  OK  ] Started Journal Service.") == ("[  OK  ] Started Journal Service.", "", False)
    assert parse_line("[ ]") == ("[ ]", "", False)
    assert parse_line("[]") == ("[]", "", False)
    assert parse_line("[]x") == ("[]x", "", False)
    assert parse_line("[   72.835674      ] x")[2] is False


def test_a_warning_quoted_with_spaced_times_names_its_site() -> None:
    report = analyze((PATCHES / "openwrt-mac80211-mesh-fwd-warning.txt").read_bytes())
    assert report.title == "WARNING in __skb_flow_dissect"


# --- kernel/rcu/tree_stall.h print_cpu_stall: a self-detected stall dumps its own CPU's stack --------------------


def test_a_self_detected_stall_quoted_without_registers_reads_the_trace() -> None:
    report = analyze((PATCHES / "parrot-fuse-iget-rcu-stall.txt").read_bytes())
    assert report.title == "INFO: rcu detected stall in fuse_iget"
    assert _v3_key("stall in corrupted") in report.fingerprint_aliases


_STALL = (
    "rcu: INFO: rcu_sched {how}\n"
    "rcu: \t3-....: (5249 ticks this GP) idle=51e4/1/0x4000000000000000 softirq=309/309 fqs=2563\n"
    "...\n"
    "Call Trace:\n"
    " mydrv_poll_loop+0x2e/0x80 [mydrv]\n"
    " mydrv_ioctl+0x96/0x1b0 [mydrv]\n"
    " __x64_sys_ioctl+0x8b/0xb0\n"
    " do_syscall_64+0x5b/0x160\n"
)


def test_a_self_detected_stall_without_registers_synthetic() -> None:
    assert analyze(_STALL.format(how="self-detected stall on CPU")).function == "mydrv_ioctl"


def test_a_stall_detected_on_other_cpus_without_registers_stays_corrupted() -> None:
    # Negative: `detected stalls on CPUs/tasks` dumps other tasks (a preempted reader's stack is no stalled code):
    # the title stays syzkaller's `in corrupted`, no function is named.
    report = analyze(_STALL.format(how="detected stalls on CPUs/tasks:"))
    assert (report.title, report.function, report.corrupted) == ("INFO: rcu detected stall in corrupted", None, True)
    # But the trace's walk keys it (culprit._stack_only_stall): two code paths are two keys, not the key of every
    # culprit-less stall; version 3's key (the title's) continues.
    assert report.fingerprint == fingerprint_title("INFO: rcu detected stall in mydrv_ioctl")
    other = analyze(_STALL.format(how="detected stalls on CPUs/tasks:").replace("mydrv_ioctl", "otherdrv_ioctl"))
    assert other.title == report.title and other.fingerprint != report.fingerprint
    assert _v3_key("stall in corrupted") in report.fingerprint_aliases
    # Negative: without a trace nothing names a culprit: since fingerprint version 7 the header's words are the key.
    bare = analyze("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\nrcu: \t3-....: (5249 ticks this GP)\n")
    assert bare.fingerprint == fingerprint_title(bare.title, bare.alt_titles) != fingerprint_title(bare.title)
    assert report.alt_titles[-1] == "stall in corrupted"  # the walk's key named a culprit: no report alternative


# --- kernel/locking/lockdep.c print_lock: `, at: %pS`, quoted without address and offset --------------------


def test_a_lock_line_without_offset_names_the_lock_taker() -> None:
    report = analyze((PATCHES / "suse-rt-list-bl-recursive.txt").read_bytes())
    assert report.title == "possible deadlock in mb_cache_shrink_scan"
    assert _v3_key("possible deadlock in corrupted") in report.fingerprint_aliases


_RECURSIVE = (
    "============================================\n"
    "WARNING: possible recursive locking detected\n"
    "--------------------------------------------\n"
    "kswapd0/59 is trying to acquire lock:\n"
    " (&h->lock){+.+.-.}, at: {at}\n"
    "\n"
    "but task is already holding lock:\n"
    " (&h->lock){+.+.-.}, at: {at}\n"
)


def test_a_bare_lock_line_synthetic() -> None:
    assert analyze(_RECURSIVE.replace("{at}", "mydrv_shrink_scan")).function == "mydrv_shrink_scan"
    assert analyze(_RECURSIVE.replace("{at}", "mydrv_shrink_scan+0x2e/0x80 [mydrv]")).function == "mydrv_shrink_scan"


def test_a_lock_line_with_words_after_the_name_is_not_read() -> None:
    # Negative: a bare name must end the line (the `%pS` ends print_lock's line); prose after `at:` is no site.
    assert analyze(_RECURSIVE.replace("{at}", "mydrv_shrink_scan and then more")).function is None


def test_a_lock_site_that_is_a_skipped_helper_is_named_when_nothing_else_is() -> None:
    # lockdep's print_lock names the acquire site even where it is a helper the walk skips (flush_workqueue's
    # lockdep map stands for the workqueue): with no trace below, that site, not `in corrupted`.
    report = analyze(_RECURSIVE.replace("{at}", "flush_workqueue+0x8f/0x6b0"))
    assert (report.title, report.function) == ("possible deadlock in flush_workqueue", "flush_workqueue")
    # Negative: a trace naming the caller still wins over the skipped site.
    traced = _RECURSIVE.replace("{at}", "flush_workqueue+0x8f/0x6b0") + (
        "\nstack backtrace:\nCall Trace:\n dump_stack+0x1d/0x20\n __lock_acquire+0x5f0/0x1a90\n"
        " lock_acquire+0x7a/0xb0\n flush_workqueue+0x8f/0x6b0\n mydrv_teardown+0x2e/0x80 [mydrv]\n"
    )
    assert analyze(traced).function == "mydrv_teardown"


# --- kernel/panic.c __warn: `WARNING: CPU: %d PID: %d at %pS`, wrapped after `at` by its quoter ------------------


def test_a_warning_header_wrapped_after_at_is_joined() -> None:
    report = analyze((PATCHES / "suse-qla2xxx-rhel8-flush-dependency-warning.txt").read_bytes())
    # kernel/workqueue.c check_flush_dependency's flusher: flush_workqueue's caller; the title is syzkaller's.
    assert (report.title, report.function) == ("WARNING in check_flush_dependency", "qla2x00_wait_for_sess_deletion")


_WRAPPED = (
    "WARNING: CPU: 0 PID: 2475 at\n"
    "{below}\n"
    "CPU: 0 PID: 2475 Comm: kworker/0:1H\n"
    "RIP: 0010:mydrv_probe+0x110/0x130 [mydrv]\n"
    "Call Trace:\n"
    " really_probe+0x1db/0x380\n"
    "---[ end trace 1a2b3c4d5e6f7a8b ]---\n"
)


def test_a_wrapped_warning_header_synthetic() -> None:
    report = analyze(_WRAPPED.format(below="drivers/mydrv/core.c:120 mydrv_probe+0x110/0x130 [mydrv]"))
    assert report.title == "WARNING in mydrv_probe"


def _header_texts(log: str) -> list[str]:
    lines, _ = load_lines(log)
    header_lines(lines, list(range(len(lines))))
    return [lines[i].text for i in range(2)]


def test_a_header_ending_in_at_is_joined_with_the_line_below() -> None:
    below = "drivers/mydrv/core.c:120 mydrv_probe+0x110/0x130 [mydrv]"
    assert _header_texts(_WRAPPED.format(below=below)) == [f"WARNING: CPU: 0 PID: 2475 at {below}", ""]


def test_a_header_ending_in_at_above_another_header_is_not_joined() -> None:
    # Negative: the next line starts its own report; both keep their text (and the BUG is the report).
    below = "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008"
    log = _WRAPPED.format(below=below)
    assert _header_texts(log) == ["WARNING: CPU: 0 PID: 2475 at", below]
    assert analyze(log).title == "BUG: unable to handle kernel NULL pointer dereference in mydrv_probe"


def test_a_header_ending_in_another_word_is_not_joined() -> None:
    # Negative: only ` at` leaves a site to come (`... at` + `ta` is no wrap).
    log = _WRAPPED.replace("PID: 2475 at\n", "PID: 2475 at drivers/mydrv/core.c:120 mydrv_probe+0x110/0x130 [mydrv] data\n")
    assert _header_texts(log.format(below="Modules linked in: mydrv"))[1] == "Modules linked in: mydrv"


def _texts(log: str) -> list[str]:
    lines, _ = load_lines(log)
    return [line.text for line in lines.span(0, len(lines))]


def test_a_bare_kernel_tag_is_dropped_in_a_log_of_such_lines() -> None:
    # Syslog lines (`Oct 11 10:57:36 host kernel: `) with their time and host cut.
    log = "kernel: Call Trace:\nkernel:  flush_workqueue+0x13a/0x440\nkernel/workqueue.c:2593 wrapped\n"
    assert _texts(log) == ["Call Trace:", " flush_workqueue+0x13a/0x440", "kernel/workqueue.c:2593 wrapped"]


def test_a_re_cased_kernel_tag_is_dropped_too() -> None:
    # A patch tool that re-cases each line's first word as a tag (kcrashd.core.leader_case) leaves `Kernel: `.
    log = "Kernel: INFO: task kworker/u65:9:494 blocked for more than 241 seconds.\nKernel: Call Trace:\n" \
          "Kernel:  __schedule+0x2b9/0x6c0\nKernel:  mutex_lock+0x2e/0x40\nKernel:  revalidate_disk+0x63/0xa0\n"
    assert _texts(log)[:2] == ["INFO: task kworker/u65:9:494 blocked for more than 241 seconds.", "Call Trace:"]
    assert analyze(log).title == "INFO: task hung in revalidate_disk"
    # Negative: the kernel's own `Kernel panic - not syncing:` and `Kernel Offset:` lines are no tag.
    tagged = "Kernel: a\nKernel: b\nKernel Offset: 0x1f000000 from 0xffffffff81000000\n"
    assert _texts(tagged) == ["a", "b", "Kernel Offset: 0x1f000000 from 0xffffffff81000000"]


def test_a_lone_kernel_tag_and_other_tags_stay() -> None:
    # Negatives: one such line among others keeps its text; another program's tag is no kernel tag.
    log = "[    1.000000] Booting\n[    1.100000] Call Trace:\nkernel: x\n[    1.200000] done\n"
    assert _texts(log)[2] == "kernel: x"
    assert _texts("mykernel: Call Trace:\nmykernel: x\n") == ["mykernel: Call Trace:", "mykernel: x"]


_FLUSH = (
    "workqueue: WQ_MEM_RECLAIM kblockd:blk_mq_run_work_fn is flushing !WQ_MEM_RECLAIM mydrv_wq:0x0\n"
    "WARNING: CPU: 0 PID: 2475 at kernel/workqueue.c:2593 {site}+0x110/0x130\n"
    "RIP: 0010:{site}+0x110/0x130\n"
    "Call Trace:\n"
    " flush_workqueue+0x13a/0x440\n"
    " mydrv_wait_for_deletion+0x1d6/0x200 [mydrv]\n"
    " mydrv_disable_port+0x2b/0x30 [mydrv]\n"
    "---[ end trace 1a2b3c4d5e6f7a8b ]---\n"
)


def test_a_flush_dependency_warning_names_the_flusher() -> None:
    report = analyze(_FLUSH.format(site="check_flush_dependency"))
    # syzkaller's title names the WARN site; the flusher is the function and keys the fingerprint.
    assert (report.title, report.function) == ("WARNING in check_flush_dependency", "mydrv_wait_for_deletion")
    assert report.fingerprint == fingerprint_title("WARNING in mydrv_wait_for_deletion")
    other = analyze(_FLUSH.format(site="check_flush_dependency").replace("mydrv_wait_for_deletion", "otherdrv_teardown"))
    assert other.title == report.title and other.fingerprint != report.fingerprint
    # Version 3 named the checker: its key continues.
    assert _v3_key("WARNING in check_flush_dependency") in report.fingerprint_aliases


def test_another_workqueue_warning_names_its_site() -> None:
    # Negative: a WARN elsewhere in kernel/workqueue.c is the generic row's.
    report = analyze(_FLUSH.format(site="workqueue_set_max_active"))
    assert report.title == "WARNING in workqueue_set_max_active"


_IRQ_FREE = (
    "------------[ cut here ]------------\n"
    "Trying to free already-free IRQ 35\n"
    "WARNING: CPU: 3 PID: 812 at kernel/irq/{file}.c:1913 {site}+0x318/0x360\n"
    "RIP: 0010:{site}+0x318/0x360\n"
    "Call Trace:\n"
    " <TASK>\n"
    " ? __warn+0x7c/0x130\n"
    " ? {site}+0x318/0x360\n"
    " free_irq+0x32/0x70\n"
    " pci_free_irq+0x1b/0x30\n"
    " mydrv_remove_irqs+0x78/0xc0 [mydrv]\n"
    " mydrv_remove+0x3e/0x80 [mydrv]\n"
    " pci_device_remove+0x3d/0xb0\n"
    "---[ end trace 1a2b3c4d5e6f7a8b ]---\n"
)


@pytest.mark.parametrize(("file", "site"), [("manage", "__free_irq"), ("manage", "free_irq"), ("devres", "devm_free_irq")])
def test_an_irq_free_warning_names_the_driver_that_freed(file: str, site: str) -> None:
    # kernel/irq/manage.c __free_irq `Trying to free already-free IRQ %d`, free_irq's affinity-notifier WARN_ON,
    # kernel/irq/devres.c devm_free_irq: the irq core WARNs about the IRQ its caller frees.  The title is syzkaller's
    # (the WARN site); the driver below the irq API (free_irq, pci_free_irq) is the function and keys the fingerprint.
    report = analyze(_IRQ_FREE.format(file=file, site=site))
    assert (report.title, report.function) == (f"WARNING in {site}", "mydrv_remove_irqs")
    assert report.fingerprint == fingerprint_title("WARNING in mydrv_remove_irqs")
    other = analyze(_IRQ_FREE.format(file=file, site=site).replace("mydrv_remove_irqs", "otherdrv_teardown"))
    assert other.title == report.title and other.fingerprint != report.fingerprint
    # Version 3 keyed the site's title: its key continues.
    assert _v3_key(f"WARNING in {site}") in report.fingerprint_aliases


def test_another_irq_core_warning_names_its_site() -> None:
    # Negative: a WARN elsewhere in the irq core (__enable_irq's `Unbalanced enable for IRQ %d`) is the generic row's.
    report = analyze(_IRQ_FREE.format(file="manage", site="__enable_irq").replace("free_irq+", "enable_irq+"))
    assert report.title == "WARNING in __enable_irq"


def test_every_row_titled_by_its_site_is_keyed_by_its_culprit() -> None:
    # A row whose title names no culprit while an alternative does must be in fingerprint.SITE_TITLES or
    # have a bucket alternative (`invalid-free in {F}`), or its key would be the site's and every culprit
    # would share it.
    # A title made of the header's group (`WARNING in {1}`: DMA-API debugging's check) must be there for every site.
    # Or an alternative that is the title itself naming the culprit (`kernel panic: {1} in {F}`: a title that names
    # no bug, fingerprint.keyed_alternative keys on it).
    from kcrashd.core.fingerprint import BUCKETS, SITE_TITLES
    from kcrashd.core.frames import DMA_DEBUG_SITES
    from kcrashd.core.signatures import SIGNATURES

    def titles(title: str) -> set[str]:
        return {title.replace("{1}", site) for site in DMA_DEBUG_SITES} if "{1}" in title else {title}

    site_rows = [s for s in SIGNATURES if "{F}" not in s.title and any("{F}" in a for a in s.alts)]
    assert site_rows and all(titles(s.title) <= SITE_TITLES or any(a.startswith(BUCKETS) for a in s.alts)
                             or f"{s.title} in {{F}}" in s.alts for s in site_rows)


_DMA = (
    "mydrv 0000:03:00.0: DMA-API: device driver tries to free an invalid DMA memory address\n"
    "WARNING: CPU: 2 PID: 812 at {file}:{line} {site}+0x2c1/0x570\n"
    "RIP: 0010:{site}+0x2c1/0x570\n"
    "Call Trace:\n"
    " debug_dma_unmap_page+0x79/0xa0\n"
    " dma_unmap_page_attrs+0x4c/0x80\n"
    " __dma_sync_single_for_cpu+0x44/0x90\n"
    " mydrv_ring_free+0x91/0x150 [mydrv]\n"
    " mydrv_close+0x2b/0x60 [mydrv]\n"
)


@pytest.mark.parametrize("site", ["check_unmap", "check_sync", "check_for_stack", "check_for_illegal_area"])
def test_a_dma_api_debugging_warning_is_titled_by_its_check_and_keyed_by_the_driver(site: str) -> None:
    # kernel/dma/debug.c err_printk WARNs in the check; the driver's call below the DMA API is the culprit.
    report = analyze(_DMA.format(file="kernel/dma/debug.c", line=1061, site=site))
    assert (report.title, report.function) == (f"WARNING in {site}", "mydrv_ring_free")
    assert report.fingerprint == fingerprint_title("WARNING in mydrv_ring_free")
    other = analyze(_DMA.format(file="kernel/dma/debug.c", line=1061, site=site).replace("mydrv_ring_free", "otherdrv_free"))
    assert other.title == report.title and other.fingerprint != report.fingerprint
    # Version 3 titled the driver: its key continues.
    assert _v3_key("WARNING in mydrv_ring_free") in report.fingerprint_aliases


def test_a_dma_api_warning_of_the_old_file_and_the_new_warning_form() -> None:
    # lib/dma-debug.c before 4.20; the 2025 form `WARNING: file:line at f+0x.., CPU#n: comm/pid`.
    old = analyze(_DMA.format(file="lib/dma-debug.c", line=448, site="check_unmap"))
    assert (old.title, old.function) == ("WARNING in check_unmap", "mydrv_ring_free")
    new = _DMA.format(file="kernel/dma/debug.c", line=1061, site="check_sync").replace(
        "WARNING: CPU: 2 PID: 812 at kernel/dma/debug.c:1061 check_sync+0x2c1/0x570",
        "WARNING: kernel/dma/debug.c:1061 at check_sync+0x2c1/0x570, CPU#2: mytask/812")
    assert analyze(new).title == "WARNING in check_sync"


def test_another_dma_warning_is_the_generic_rows() -> None:
    # Negatives: a WARN elsewhere in kernel/dma/debug.c, and the DMA mapping code's own WARN.
    other = analyze(_DMA.format(file="kernel/dma/debug.c", line=900, site="dma_debug_device_change"))
    assert (other.title, other.function) == ("WARNING in dma_debug_device_change", "dma_debug_device_change")
    assert analyze(_DMA.format(file="kernel/dma/mapping.c", line=152, site="check_unmap")).title != "WARNING in check_unmap"
