"""Grouping rule files the rule tests use (docs/grouping-rules.md), and a configuration folder
written the way an operator writes /etc/kcrashd: kcrashd.toml and grouping.d/ beside it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"
INIT_EXIT, INIT_SIGNAL = "deb11-5.10_init-exit_run1", "deb11-5.10_init-signal_run1"  # two kinds, two keys
TIMER_IN_MODULE, TIMER_BUILT_IN = "deb12-6.1_timer-bug_run1", "deb13-6.12_timer-bug_run1"  # one key
HUNG = "deb11-5.10_hung-task_run1"

# Two lab bugs of two kinds (init exited / init killed by a signal) are one bug to this operator.
MERGE_INIT = """\
# init died, whether it exited or was killed: one bug here
[[override]]
name = "init died"
key = "init died"

[override.match]
kind = ["init-exit", "init-signal"]
"""
MERGE_INIT_LINE = 2

# One lab bug (the timer BUG) split by where it ran: in the kcrashd_lab module (6.1) or not.
SPLIT_TIMER = """\
[[override]]
name = "timer bug in the module"
extra = "module kcrashd_lab"
match = { function = ["lab_timer_bug_fire"], module = ["kcrashd_lab"] }
"""
SPLIT_TIMER_LINE = 1

# The hung task's own trigger is not the bug this operator files: the frame below it is.
SKIP_HUNG = """\
[[frames]]
name = "lab triggers"
skip = ["lab_trigger_hung_task"]
"""


def rule_key(text: str) -> str:
    """The key an override's `key = text` gives (docs/grouping-rules.md)."""
    return "kcr-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def write_etc(tmp_path: Path, rules: dict[str, str], *, webhook: str | None = None, name: str = "etc") -> Path:
    """`<tmp_path>/<name>/kcrashd.toml` (dump folders and state under tmp_path) with `rules` as
    grouping.d files; its path."""
    etc = tmp_path / name
    (etc / "grouping.d").mkdir(parents=True)
    (tmp_path / "crash").mkdir(exist_ok=True)
    text = (
        f"[sources]\ndump_paths = [{json.dumps(str(tmp_path / 'crash'))}]\npstore = false\n\n"
        f"[state]\nstate_dir = {json.dumps(str(tmp_path / 'state'))}\n"
    )
    if webhook is not None:
        text += f'\n[alerts]\nmachine_id_path = "/nonexistent/machine-id"\n\n[[alerts.targets]]\nname = "wh"\ntype = "webhook"\nurl = "{webhook}"\n'
    (etc / "kcrashd.toml").write_text(text)
    for file, body in rules.items():
        (etc / "grouping.d" / file).write_text(body)
    return etc / "kcrashd.toml"
