"""A report quoted without its `Call Trace:` line names the culprit the full report names (tests/core/log_variants.py
`no-call-trace`): the trace still starts where the kernel printed it, below lockdep's `stack backtrace:`, past the
labelled addresses printed above the trace, and a trace of `?` frames alone is read without its header too.
Each full report and its quote are built here; negatives beside them.
"""

from __future__ import annotations

from kcrashd.core import analyze, culprit, frames

_HEADER = "Call Trace:\n"


def _same_as_full(report: str) -> tuple[str, str | None]:
    """The quote's (title, function), after checking the full report's are the same."""
    assert _HEADER in report
    full = analyze(report)
    quoted = analyze(report.replace(_HEADER, ""))
    assert (quoted.title, quoted.function) == (full.title, full.function)
    return quoted.title, quoted.function


# --- kernel/locking/lockdep.c: the held locks' `at:` lines, then `stack backtrace:` and dump_stack() --------------

_LOCKDEP = (
    "================================\n"
    "WARNING: inconsistent lock state\n"
    "5.10.0 #1 Not tainted\n"
    "--------------------------------\n"
    "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.\n"
    "swapper/0/0 [HC1[1]:SC0[0]:HE0:SE1] takes:\n"
    "ffff888100000000 (&dev->lock){?.+.}-{2:2}, at: _raw_spin_lock+0x2a/0x40\n"
    "{HARDIRQ-ON-W} state was registered at:\n"
    "  lock_acquire+0x10/0x20\n"
    "  _raw_spin_lock+0x2a/0x40\n"
    "  mydev_open+0x44/0x90\n"
    "2 locks held by swapper/0/0:\n"
    " #0: ffff888100000100 (&q->lock){+.+.}-{3:3}, at: _raw_spin_lock_irqsave+0x3c/0x4c\n"
    " #1: ffff888100000200 (&p->pi_lock){....}-{2:2}, at: HELD\n"
    "\n"
    "stack backtrace:\n"
    "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 5.10.0 #1\n"
    "Call Trace:\n"
    " dump_stack+0x107/0x163\n"
    " mark_lock+0x310/0x6ae\n"
    " __lock_acquire+0x2fe/0x1376\n"
    " lock_acquire+0x10/0x20\n"
    " _raw_spin_lock+0x2a/0x40\n"
    " mydev_irq+0x20/0x80\n"
    " __handle_irq_event_percpu+0x40/0x190\n"
)


def test_a_lockdep_trace_quoted_without_its_header_starts_below_stack_backtrace() -> None:
    # Before, the walk took the usage's registration stack (`mydev_open`) for the trace.
    assert _same_as_full(_LOCKDEP.replace("HELD", "task_blocks_on_rt_mutex+0x231/0x342")) == (
        "inconsistent lock state in mydev_irq", "mydev_irq")


def test_a_held_lock_wrapped_before_its_symbol_is_no_trace() -> None:
    # 3.x print_lock: `, at: [<addr>] %pS`, a quote wrapping the symbol onto a line of its own (and here cutting
    # `stack backtrace:` and the usage's registration stack too).
    report = _LOCKDEP.replace("HELD", "[<ffffffff812b6233>]\nqueue_setup+0x43/0x190").replace("stack backtrace:\n", "")
    registered = report.index("{HARDIRQ-ON-W} state")
    report = report[:registered] + report[report.index("2 locks held"):]
    assert _same_as_full(report)[1] == "mydev_irq"


def test_a_fault_injection_dump_above_stack_backtrace_is_not_passed_over() -> None:
    # Negative: lib/fault-inject.c fail_dump's dump_stack interleaved above `stack backtrace:` stays read, so
    # that the walk sees its `should_fail` frame (two dumps in one: the report is left corrupted).
    texts = ["WARNING: suspicious RCU usage", " dump_stack+0x1b9/0x294", " should_fail+0xa/0x1a",
             "stack backtrace:", " mydev_irq+0x20/0x80"]
    assert culprit._below_lockdep_backtrace(texts, 1) == 1
    assert culprit._below_lockdep_backtrace([*texts[:2], *texts[3:]], 1) == 3


# --- kernel/sched/core.c print_preempt_disable_ip: `Preemption disabled at:`, print_ip_sym on the next line --------

_SCHED_ATOMIC = (
    "BUG: scheduling while atomic: kswapd1/181/0x00000002\n"
    "Preemption disabled at:\n"
    "[<ffffffff8b2a6cda>] mystore_frontend+0x21a/0x6e1\n"
    "\n"
    "CPU: 14 PID: 181 Comm: kswapd1 Not tainted 5.0.14-rt9 #1\n"
    "Call Trace:\n"
    " __schedule_bug+0x3f/0x51\n"
    " __schedule+0x5cb/0x6f0\n"
    " schedule+0x43/0xd0\n"
    " rt_spin_lock_slowlock+0x51/0x80\n"
    " mypool_alloc+0x1da/0x2d0\n"
    " mystore_frontend+0x31a/0x6e1\n"
)


def test_the_preemption_site_above_a_quoted_trace_is_no_trace() -> None:
    assert _same_as_full(_SCHED_ATOMIC) == ("BUG: scheduling while atomic in mypool_alloc", "mypool_alloc")


def test_labelled_address_lines() -> None:
    # The held-lock line cut before its symbol (culprit._AT_ADDRESS_EOL) has its samples in test_wrapped_quotes.
    assert culprit._label_eol("Preemption disabled at:")
    assert culprit._label_eol("fio/17706 is trying to release lock (&q->lock) at:")
    assert culprit._label_eol(" #0:  (&(&vblk->lock)->rlock){......}, at: [<ffffffff81327f1a>]")
    # Negatives: an address with its symbol on the line, a header, a line that merely ends in `at`.
    assert not culprit._label_eol(" #0:  (&q->lock){+.+.}, at: [<ffffffff81327f1a>] queue_setup+0x58/0x89")
    assert not culprit._label_eol("CPU: 14 PID: 181 Comm: kswapd1 Not tainted 5.0.14-rt9 #1")
    assert not culprit._label_eol("the task was blocked at")


def test_a_frame_line_below_any_other_line_starts_a_quoted_trace() -> None:
    # Negative: a `CPU:` line above the frames is no label; the first frame starts the trace.
    report = _SCHED_ATOMIC.replace("Preemption disabled at:\n[<ffffffff8b2a6cda>] mystore_frontend+0x21a/0x6e1\n", "")
    assert _same_as_full(report)[1] == "mypool_alloc"


# --- arch/x86/kernel/dumpstack.c (2.6-4.8, no frame pointers): every frame a `?` guess -----------------------

_HUNG_GUESSED = (
    "INFO: task docker:20744 blocked for more than 120 seconds.\n"
    "      Tainted: G         C    3.16.0-4-amd64 #1\n"
    '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.\n'
    "docker          D ffff8801a8f2b078     0 20744      1 0x00000000\n"
    " ffff8801a8f2ac20 0000000000000082 0000000000012f00 ffff880057a17fd8\n"
    "Call Trace:\n"
    " [<ffffffff81510915>] ? schedule_preempt_disabled+0x25/0x70\n"
    " [<ffffffff815123c3>] ? __mutex_lock_slowpath+0xd3/0x1c0\n"
    " [<ffffffff815124cb>] ? mutex_lock+0x1b/0x2a\n"
    " [<ffffffff814175bc>] ? mynet_setup+0x6c/0x130\n"
    " [<ffffffff8108bdf4>] ? create_new_namespaces+0xf4/0x180\n"
    " [<ffffffff81066991>] ? do_fork+0xe1/0x390\n"
)


def test_a_hung_task_of_guessed_frames_quoted_without_its_header() -> None:
    assert _same_as_full(_HUNG_GUESSED) == ("INFO: task hung in mynet_setup", "mynet_setup")


def test_a_reliable_frame_in_the_run_is_no_guessed_trace() -> None:
    # Negative: with one reliable frame the unwinder ran, and its `?` frames are stale words (_guess_only_trace).
    texts = _HUNG_GUESSED.replace(_HEADER, "").replace("? do_fork", "do_fork").split("\n")
    assert culprit._guess_only_trace(texts) == []


def test_no_frame_line_no_trace() -> None:
    assert culprit._trace_start(["BUG: scheduling while atomic: a/1/0x2", "Preemption disabled at:", "x"]) is None


# --- a stall polling a device: the accessor's caller is the trace's first word (culprit._accessor_caller) -------

_POLLED = (
    "BUG: soft lockup - CPU#1 stuck for 23s! [Xorg:1089]\n"
    "EIP: 0060:[<c06ca742>] EFLAGS: 00003296 CPU: 1\n"
    "EIP is at ioread32+0x32/0x40\n"
    "EAX: ffffffff EBX: f2042780 ECX: 00000000 EDX: 00000000\n"
    "Stack:\n"
    " f8779b2d 77359400 0061a804 00000000 00000000 ffffffff ffffffff 00000800\n"
    "Call Trace:\n"
    " [<f8779b2d>] ? mytimer_wait_eq+0x5d/0xc0 [mydrv]\n"
    " [<f8788f80>] mydac_sense+0x60/0x140 [mydrv]\n"
    " [<f878909a>] mydac_detect+0x3a/0x70 [mydrv]\n"
    " [<c05bc3a1>] drm_ioctl+0x1e6/0x3d0\n"
)


def test_a_polled_accessor_quoted_without_its_header_names_its_caller() -> None:
    assert _same_as_full(_POLLED)[1] == "mytimer_wait_eq"


# --- a quote that cut frames out of a trace with an elision mark ------------------------------------------------


def test_a_guessed_trace_goes_on_below_an_elision_mark() -> None:
    for mark in ("...", " [...]", "<snip>", "[ snip ]"):
        lines = _HUNG_GUESSED.split("\n")
        lines.insert(lines.index(" [<ffffffff814175bc>] ? mynet_setup+0x6c/0x130"), mark)
        assert analyze("\n".join(lines)).function == "mynet_setup", mark


def test_elision_marks() -> None:
    assert all(frames.ELISION.match(t) for t in ("...", " ... ", "[...]", "[ ... ]", "<snip>", "[snip]", "<...>"))
    # Negatives: a line with text beside the dots, a `<EOI>` marker, a truncated frame.
    assert not any(frames.ELISION.match(t) for t in ("... and 3 more", "<EOI>", " mynet_setup+0x6c/...", "...."))
