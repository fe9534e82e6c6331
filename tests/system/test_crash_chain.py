"""The mission, end to end on real kernel panics, host side.

QEMU boots Debian 12's kernel, the crash happens for real, a real kdump capture kernel (kexec -p)
writes a RHEL-layout `127.0.0.1-<date>/` folder (`vmcore-dmesg-incomplete.txt` renamed to
`vmcore-dmesg.txt`, then `vmcore-incomplete` renamed to `vmcore`) over 9p DIRECTLY into a folder
that a running `kcrashd run` watches; kcrashd journals into a private real journald and alerts a
generic-webhook receiver and a real Alertmanager on 127.0.0.1. No crash log is written by hand
anywhere in the chain. Campaign and matrix: tests/system/chain.py; docs/system-tests.md.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
import requests

from tests.daemon.conftest import run_cli
from tests.system.chain import FULL, Campaign, Case, Outcome, plan

pytestmark = [pytest.mark.system, pytest.mark.journal, pytest.mark.timeout(1800)]

PLAN = plan()
CLASSES = sorted({c.kind for c in PLAN if c.group == "class"})
RHEL_DIR = re.compile(r"^127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d$")


def cases_of(kind: str, group: str = "class") -> list[Case]:
    return sorted((c for c in PLAN if c.kind == kind and c.group == group), key=lambda c: c.run)


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def check_dump(o: Outcome) -> None:
    """The lab reproduced the crash asked for and the capture kernel left a complete dump."""
    r = o.result
    assert r.reproduced, f"{o.case.id}: crash not reproduced: {r.notes}; console {r.console_log}"
    assert r.dump_dir is not None, f"{o.case.id}: no dump folder: {r.notes}"
    assert r.dump_dir.parent == o.lane, "the capture kernel writes straight into the watched folder"
    assert r.dump_complete, f"{o.case.id}: vmcore header incomplete"


def check_entry(o: Outcome) -> dict[str, str]:
    """Exactly one journal entry, with the kind and culprit the lab says the crash has."""
    assert len(o.entries) == 1, f"{o.case.id}: {len(o.entries)} journal entries for {o.result.dump_dir}"
    entry = o.entries[0]
    assert entry["KCRASHD_KIND"] == o.case.expect_kind, (o.case.id, entry["KCRASHD_TITLE"])
    assert entry.get("KCRASHD_FUNCTION") == o.case.expect_function, (o.case.id, entry["KCRASHD_TITLE"])
    assert entry["KCRASHD_FINGERPRINT"].startswith("kc"), entry["KCRASHD_FINGERPRINT"]
    assert entry["KCRASHD_HOST"] and entry["KCRASHD_KERNEL"] == o.result.release
    assert entry["KCRASHD_INCOMPLETE"] == "0", entry.get("KCRASHD_PROBLEMS")
    assert o.latency is not None and -0.5 <= o.latency < 30, f"{o.case.id}: rename to journal {o.latency}"
    return entry


def check_info(o: Outcome, state: Path) -> None:
    """`kcrashd info` shows the facts read from the real vmcore header."""
    assert o.info, f"{o.case.id}: kcrashd info found nothing"
    assert o.info["vmcore_state"] == "complete", o.info.get("vmcore_state")
    vmcore = o.info["record"]["vmcore"]
    assert vmcore["complete"] is True and not vmcore["truncated"]
    assert vmcore["kernel_release"] == o.result.release
    assert vmcore["format"] == ("flattened" if o.case.layout == "debian" else "kdump-compressed")
    crash_time = when(vmcore["crash_time"])
    # the guest's RTC is the host's clock: the crash happened while this run was going
    assert o.started - 5 <= crash_time <= o.finished + 5, (o.case.id, vmcore["crash_time"])
    assert o.info["record"]["crash_id"] == o.entries[0]["KCRASHD_CRASH_ID"]
    text = run_cli("info", "--state-dir", str(state), o.entries[0]["KCRASHD_CRASH_ID"]).stdout
    assert "Vmcore: complete" in text and f"release {o.result.release}" in text, text


@pytest.mark.parametrize("kind", CLASSES)
def test_class_recognised_and_fingerprint_stable(chain: Campaign, kind: str) -> None:
    outcomes = [chain.outcome(case.id) for case in cases_of(kind)]
    fingerprints = set()
    for o in outcomes:
        check_dump(o)
        assert RHEL_DIR.match(o.result.dump_dir.name)  # type: ignore[union-attr]
        names = sorted(p.name for p in o.result.dump_dir.iterdir())  # type: ignore[union-attr]
        assert names == ["vmcore", "vmcore-dmesg.txt"], names
        entry = check_entry(o)
        assert entry["KCRASHD_LOG_ORIGIN"] == "file" and entry["KCRASHD_LAYOUT"] == "rhel-kdump"
        check_info(o, chain.state)
        fingerprints.add(entry["KCRASHD_FINGERPRINT"])
    # runs with other memory, CPU count and timing: same bug, same fingerprint
    assert len(fingerprints) == 1, {o.case.id: o.entries[0]["KCRASHD_FINGERPRINT"] for o in outcomes}


def test_debian_layout_dump(chain: Campaign) -> None:
    """kdump-tools' layout: <YYYYMMDDHHMM>/dmesg.<STAMP> and a flattened dump.<STAMP> (makedumpfile -F)."""
    (case,) = cases_of("bug", "debian")
    o = chain.outcome(case.id)
    check_dump(o)
    stamp = o.result.dump_dir.name  # type: ignore[union-attr]
    assert re.fullmatch(r"\d{12}", stamp)
    names = sorted(p.name for p in o.result.dump_dir.iterdir())  # type: ignore[union-attr]
    assert names == [f"dmesg.{stamp}", f"dump.{stamp}"], names
    entry = check_entry(o)
    assert entry["KCRASHD_LAYOUT"] == "debian-kdump-tools" and entry["KCRASHD_SOURCE"] == "kdump_tools"
    check_info(o, chain.state)
    # the same bug as the RHEL-layout runs of the class
    rhel = chain.outcome(cases_of("bug")[0].id)
    assert entry["KCRASHD_FINGERPRINT"] == rhel.entries[0]["KCRASHD_FINGERPRINT"]


def test_vmcore_without_dmesg(chain: Campaign) -> None:
    """Only a vmcore: kcrashd recovers the log with `makedumpfile --dump-dmesg`."""
    (case,) = cases_of("sysrq", "vmcore-only")
    o = chain.outcome(case.id)
    check_dump(o)
    assert [p.name for p in o.result.dump_dir.iterdir()] == ["vmcore"]  # type: ignore[union-attr]
    entry = check_entry(o)
    assert entry["KCRASHD_LOG_ORIGIN"] == "makedumpfile"
    assert "KCRASHD_LOG_PATH" not in entry
    check_info(o, chain.state)
    rhel = chain.outcome(cases_of("sysrq")[0].id)
    assert entry["KCRASHD_FINGERPRINT"] == rhel.entries[0]["KCRASHD_FINGERPRINT"]


def test_history_alerts_and_list(chain: Campaign) -> None:
    """Across the campaign: one entry per dump, distinct classes never share a fingerprint, one
    alert per fingerprint at each target, recurrences counted (not paged), `kcrashd list` has all."""
    outcomes = [chain.outcome(case.id) for case in PLAN]
    done = [o for o in outcomes if o.result.dump_dir is not None and len(o.entries) == 1]
    assert len(done) == len(PLAN), [o.case.id for o in outcomes if o not in done]

    entries = chain.all_entries()
    per_dir = defaultdict(list)
    for e in entries:
        per_dir[e["KCRASHD_DUMP_DIR"]].append(e)
    assert {d: len(v) for d, v in per_dir.items() if len(v) != 1} == {}
    assert set(per_dir) == {str(o.result.dump_dir) for o in done}

    by_class: dict[str, set[str]] = defaultdict(set)
    by_fp: dict[str, list[dict[str, str]]] = defaultdict(list)
    for o in done:
        by_class[o.case.cls].add(o.entry["KCRASHD_FINGERPRINT"])
        by_fp[o.entry["KCRASHD_FINGERPRINT"]].append(o.entry)
    assert all(len(fps) == 1 for fps in by_class.values()), by_class
    owners = defaultdict(set)
    for cls, fps in by_class.items():
        owners[next(iter(fps))].add(cls)
    assert {fp: cls for fp, cls in owners.items() if len(cls) > 1} == {}, "classes sharing a fingerprint"

    # recurrences are counted: counts 1..n per fingerprint, exactly one "new"
    for fp, group in by_fp.items():
        assert sorted(int(e["KCRASHD_COUNT"]) for e in group) == list(range(1, len(group) + 1)), fp
        assert sum(e["KCRASHD_NEW"] == "1" for e in group) == 1, fp

    # ... and not paged: the outbox paged each fingerprint once
    decisions = chain.outbox_decisions()
    for fp, group in by_fp.items():
        got = sorted(decisions[e["KCRASHD_CRASH_ID"]] for e in group)
        assert got == ["cooldown"] * (len(group) - 1) + ["page"], (fp, got)

    chain.receiver.wait(len(by_fp), timeout=60)
    time.sleep(3)  # anything extra would arrive now
    bodies = chain.receiver.bodies()
    alerted = [b["data"]["fingerprint"] for b in bodies]
    assert sorted(alerted) == sorted(by_fp), bodies
    assert {b["type"] for b in bodies} == {"kcrashd.crash.new"}
    for body in bodies:
        first = by_fp[body["data"]["fingerprint"]][0]
        assert body["data"]["kind"] == first["KCRASHD_KIND"]
        assert body["data"]["function"] == first.get("KCRASHD_FUNCTION")

    if chain.am_url:
        active = requests.get(f"{chain.am_url}/api/v2/alerts", timeout=10).json()
        labels = [a["labels"] for a in active]
        assert sorted(la["fingerprint"] for la in labels) == sorted(by_fp), labels
        assert {la["alertname"] for la in labels} == {"KernelCrash"}

    listed = json.loads(run_cli("list", "--state-dir", str(chain.state), "--json").stdout)
    assert {row["crash_id"] for row in listed} == {o.entry["KCRASHD_CRASH_ID"] for o in done}
    assert all(row["vmcore"] == "complete" for row in listed), listed
    most: dict[str, int] = defaultdict(int)
    for row in listed:
        most[row["fingerprint"]] = max(most[row["fingerprint"]], int(row["count"]))
    assert most == {fp: len(group) for fp, group in by_fp.items()}
    table = run_cli("list", "--state-dir", str(chain.state)).stdout.splitlines()
    assert len(table) == len(done) + 1 and table[0].split()[:5] == ["TIME", "ID", "HOST", "KERNEL", "KIND"]
    assert chain.daemon.proc.poll() is None, chain.daemon.output()[-3000:]
    assert "Traceback" not in chain.daemon.output()


def test_plan_is_the_documented_matrix() -> None:
    """CI: every class once, four classes twice, 1 vCPU; plus the Debian and vmcore-only cases."""
    ids = {c.id for c in PLAN}
    for kind in (
        "sysrq",
        "null-deref",
        "bug",
        "gpf",
        "warning",
        "soft-lockup",
        "hung-task",
        "oom",
        "stack-protector",
    ):
        assert f"{kind}-1" in ids
    assert {"debian-bug", "vmcore-only-sysrq"} <= ids
    if not FULL:
        assert sum(c.run == 2 for c in PLAN) == 4 and all(c.cpus == 1 for c in PLAN)
