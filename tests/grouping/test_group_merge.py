"""`kcrashd group merge/split/list`: two real lab bugs recorded by the real pipeline into a real
state database, merged and split again; `list` and `info` show the group's key and the computed
one; a crash recorded after the merge is filed, counted (and so paged) under the group's key; each
change is journaled (the real, private journald)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kcrashd.cli import EXIT_NOT_FOUND, main
from kcrashd.sinks.journal import GROUPING_MESSAGE_ID
from kcrashd.store.database import Store
from tests.fixtures.journald import Journald
from tests.grouping.lab_store import LabStore, lab_config, record_lab, stored

pytestmark = pytest.mark.journal
DOC = Path(__file__).resolve().parents[2] / "docs" / "journal-fields.md"
GPF, WARN, WARN_AGAIN = "deb11-5.10_gpf_run1", "deb12-6.1_warning_run1", "deb12-6.1_warning_run2"


def run(lab: LabStore, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--state-dir", str(lab.config.state.state_dir), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out else None


def fingerprints(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[str, str, int]]:
    _, rows = run(lab, capsys, "list")
    by_id = {row["crash_id"]: (row["fingerprint"], row["computed_fingerprint"], row["count"]) for row in rows}
    return {case: by_id[crash_id] for case, crash_id in lab.ids.items()}


def test_merge_then_split(journald: Journald, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = record_lab(lab_config(tmp_path), [GPF, WARN])
    before = fingerprints(lab, capsys)
    a, b = before[GPF][0], before[WARN][0]
    assert a != b and before[WARN] == (b, b, 1)

    code, out = run(lab, capsys, "group", "merge", a, b)
    assert code == 0 and out == {"action": "merge", "fingerprint": a, "aliases": [b], "journaled": True}
    entry = journald.wait_for(1, MESSAGE_ID=GROUPING_MESSAGE_ID, KCRASHD_GROUP_ACTION="merge")[0]
    assert entry["KCRASHD_FINGERPRINT"] == a and entry["KCRASHD_FINGERPRINT_ALIASES"] == b
    assert entry["MESSAGE"] == f"kcrashd: fingerprint {b} merged into {a} by the operator"
    section = DOC.read_text().split("## Grouping changes", 1)[1].split("\n## ", 1)[0]
    assert GROUPING_MESSAGE_ID in section
    assert {k for k in entry if k.startswith("KCRASHD_")} == set(re.findall(r"^\| `(KCRASHD_[A-Z_]+)` \|", section, re.M))
    merged = fingerprints(lab, capsys)
    assert merged[WARN] == (a, b, 2) and merged[GPF] == (a, a, 2)
    _, group = run(lab, capsys, "list", f"FINGERPRINT={a}")
    assert sorted(row["crash_id"] for row in group) == sorted(lab.ids.values())
    code, info = run(lab, capsys, "info", lab.folders[WARN])
    assert (info["fingerprint"], info["computed_fingerprint"], info["fingerprint_count"]) == (a, b, 2)
    assert run(lab, capsys, "group", "list")[1] == [{"alias": b, "fingerprint": a, "merged_at": pytest.approx(0, abs=1e10)}]

    # a new crash of the merged bug: filed and counted under the group's key, the computed key an alias
    more = record_lab(lab.config, [WARN_AGAIN], start=2)
    record = stored(lab.config, more.ids[WARN_AGAIN])
    assert record.report.fingerprint == a and b in record.report.fingerprint_aliases
    assert not record.new_fingerprint and record.count == 3

    code, out = run(lab, capsys, "group", "split", b)
    assert code == 0 and out["aliases"] == [b] and out["fingerprint"] == a
    entry = journald.wait_for(1, MESSAGE_ID=GROUPING_MESSAGE_ID, KCRASHD_GROUP_ACTION="split")[0]
    assert entry["MESSAGE"] == f"kcrashd: fingerprint {b} split from {a} by the operator"
    after = fingerprints(lab, capsys)
    assert after[WARN] == (b, b, 1) and after[GPF][0] == a
    assert run(lab, capsys, "group", "list")[1] == []


def test_refusals(journald: Journald, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = record_lab(lab_config(tmp_path), [GPF, WARN])
    fps = fingerprints(lab, capsys)
    a, b = fps[GPF][0], fps[WARN][0]
    state = ["--state-dir", str(lab.config.state.state_dir)]
    assert main(["group", "merge", a, "kc2-0000000000000000", *state]) == EXIT_NOT_FOUND
    assert "'kc2-0000000000000000' is no fingerprint recorded here" in capsys.readouterr().err
    assert main(["group", "merge", a, a, *state]) == EXIT_NOT_FOUND
    assert main(["group", "split", b, *state]) == EXIT_NOT_FOUND
    assert f"{b} is not merged with any other fingerprint" in capsys.readouterr().err
    assert main(["group", "merge", a, b, *state]) == 0
    assert main(["group", "merge", a, b, *state]) == EXIT_NOT_FOUND
    assert "already merged" in capsys.readouterr().err
    assert main(["group", "merge", b, a, *state]) == EXIT_NOT_FOUND  # a is b's group already
    assert main(["group", "split", a, *state]) == 0  # the group's key lets its aliases go
    assert f"{b} split from {a}" in capsys.readouterr().out
    # a crash's name (folder name, id prefix) stands for its fingerprint
    assert main(["group", "merge", lab.folders[GPF], lab.ids[WARN][:10], *state]) == 0
    assert f"{b} merged into {a}" in capsys.readouterr().out
    assert main(["group", "merge", a, "no-such-crash", *state]) == EXIT_NOT_FOUND
    assert "no recorded crash is named 'no-such-crash'" in capsys.readouterr().err


def test_a_merged_bug_pages_as_its_group(journald: Journald, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real paging policy and ticket events (a webhook and a Redmine target, never reached:
    the decisions are made when the crash is recorded): B was never paged (its crash was too old
    to page, its ticket filed), A was paged minutes ago. After `merge A B`, a new crash of B is A's
    recurrence: cooldown, a comment on A's ticket. After the split, B pages, on its own ticket."""
    from kcrashd.config.alerting import AlertsConfig

    tracker = {"name": "rm", "type": "redmine", "url": "http://127.0.0.1:9", "project": "kcrash",
               "fingerprint_field_id": 1, "api_key_ref": "env:RM_KEY"}  # fmt: skip
    alerts = AlertsConfig.model_validate(
        {"targets": [{"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"}, tracker]}
    )
    config = lab_config(tmp_path).model_copy(update={"alerts": alerts})
    lab = record_lab(config, [WARN])  # 2024: too old to page
    lab.ids.update(record_lab(config, [GPF], start=1, recent=True).ids)
    fps = fingerprints(lab, capsys)
    a, b = fps[GPF][0], fps[WARN][0]
    assert main(["group", "merge", a, b, "--state-dir", str(config.state.state_dir)]) == 0
    again = record_lab(config, [WARN_AGAIN], start=2, recent=True).ids[WARN_AGAIN]
    assert main(["group", "split", b, "--state-dir", str(config.state.state_dir)]) == 0
    fresh = record_lab(config, ["deb11-5.10_warning_run1"], start=3, recent=True).ids["deb11-5.10_warning_run1"]
    store = Store(config.state.state_dir)
    try:
        rows = store.conn.execute("SELECT crash_id, alert_key, decision, ticket FROM crashes").fetchall()
    finally:
        store.close()
    decided = {cid: (key, decision, ticket) for cid, key, decision, ticket in rows}
    assert decided[lab.ids[GPF]] == (a, "page", "new")
    # merged: a recurrence of A, paged minutes ago; a comment on A's ticket, not a ticket of its own
    assert decided[again] == (a, "cooldown", "recurrence")
    assert decided[lab.ids[WARN]] == (b, "quiet", "new")  # too old to page, but B's ticket was filed
    assert decided[fresh] == (b, "page", "recurrence")  # split again: B's own first page, on B's ticket


def kcrashd(lab: LabStore, *args: str) -> tuple[int, Any]:
    """The kcrashd program on the lab's state: its exit status and JSON output."""
    proc = subprocess.run(
        [sys.executable, "-m", "kcrashd", *args, "--state-dir", str(lab.config.state.state_dir), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else None


def test_a_merged_key_names_its_group(journald: Journald, tmp_path: Path) -> None:
    """`info FINGERPRINT` and `list FINGERPRINT=` with a key merged into another: the whole group
    (crashes recorded under either key, before or after the merge), the group's key as
    `fingerprint`, and the keys merged into it as `members`; the group's key names it too."""
    lab = record_lab(lab_config(tmp_path), [GPF, WARN])
    a, b = (stored(lab.config, lab.ids[case]).report.fingerprint for case in (GPF, WARN))
    assert kcrashd(lab, "group", "merge", a, b)[0] == 0
    lab.ids.update(record_lab(lab.config, [WARN_AGAIN], start=2).ids)  # filed under a, b its alias
    for key in (a, b):
        code, info = kcrashd(lab, "info", key)
        assert code == 0 and info["record"]["crash_id"] == lab.ids[WARN_AGAIN]  # the group's latest
        assert (info["fingerprint"], info["members"], info["matches"], info["fingerprint_count"]) == (a, [b], 3, 3)
        code, rows = kcrashd(lab, "list", f"FINGERPRINT={key}")
        assert code == 0 and sorted(row["crash_id"] for row in rows) == sorted(lab.ids.values())
        assert {row["fingerprint"] for row in rows} == {a}
    code, info = kcrashd(lab, "info", lab.ids[GPF])
    assert (info["fingerprint"], info["members"]) == (a, [b])
    assert kcrashd(lab, "group", "split", b)[0] == 0  # split again: b names its own crash only
    code, info = kcrashd(lab, "info", b)
    assert (info["fingerprint"], info["members"], info["matches"]) == (b, [], 1)
    assert kcrashd(lab, "list", f"FINGERPRINT={b}")[0] == 0
