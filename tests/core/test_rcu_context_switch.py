"""PREEMPT_RCU's scheduler hook WARNs about the task that slept inside an RCU read-side critical section
(kernel/rcu/tree_plugin.h rcu_note_context_switch, `Voluntary context switch within RCU read-side critical
section!`): syzkaller's title names the WARN site; the function, and the fingerprint's key, name the code that
chose to sleep, past the scheduler and the sleeping primitives (signatures.py warn-rcu-context-switch)."""

from __future__ import annotations

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_key

_HEAD = (
    "------------[ cut here ]------------\n"
    "WARNING: CPU: 1 PID: 1 at kernel/rcu/tree_plugin.h:318 rcu_note_context_switch+0x33c/0x6b0\n"
    "Voluntary context switch within RCU read-side critical section!\n"
    "Modules linked in:\n"
    "CPU: 1 PID: 1 Comm: systemd-shutdow Not tainted 6.1.0 #1\n"
    "RIP: 0010:rcu_note_context_switch+0x33c/0x6b0\n"
    "Call Trace:\n"
    " <TASK>\n"
    " __schedule+0x8f/0x9e0\n"
    " schedule+0x5d/0xd0\n"
    " schedule_timeout+0x88/0x160\n"
    " wait_for_completion_timeout+0x90/0x114\n"
)


def _log(sleeper: str, caller: str) -> str:
    return _HEAD + f" {sleeper}+0x40/0x70\n {caller}+0x1c/0x90\n machine_restart+0x34/0x58\n </TASK>\n---[ end trace 0000000000000000 ]---\n"


def test_the_sleeper_is_the_function_under_the_sites_title() -> None:
    report = analyze(_log("tegra_i2c_wait_completion", "tegra_i2c_xfer_msg"))
    assert (report.signature, report.title, report.function) == (
        "warn-rcu-context-switch", "WARNING in rcu_note_context_switch", "tegra_i2c_wait_completion")


def test_two_sleepers_are_two_keys() -> None:
    a = analyze(_log("tegra_i2c_wait_completion", "tegra_i2c_xfer_msg"))
    b = analyze(_log("octep_send_mbox_req", "octep_ctrl_net_get_if_stats"))
    assert a.title == b.title
    assert fingerprint_key(a.title, a.alt_titles) != fingerprint_key(b.title, b.alt_titles)
    assert a.fingerprint != b.fingerprint


def test_a_warning_in_another_rcu_file_is_the_generic_row() -> None:
    report = analyze(_log("tegra_i2c_wait_completion", "tegra_i2c_xfer_msg").replace(
        "kernel/rcu/tree_plugin.h:318", "kernel/rcu/tree.c:318"))
    assert report.signature != "warn-rcu-context-switch"
