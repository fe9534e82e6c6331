"""`kcrashd retriage`: real lab logs recorded by the real pipeline into a real state database (the
pipeline keeps each crash's log), then re-triaged by the `kcrashd` program (`--state-dir`,
`--json`) or, for a rule change, by `kcrashd.retriage` with a test double of the new rules
(tests/grouping/rule_change.py); the result read back with `kcrashd list` and `info`, the
journal entry from the real, private journald."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from kcrashd.config.settings import Config
from kcrashd.core import analyze
from kcrashd.core.kept_log import KEEP_BYTES
from kcrashd.retriage import apply, retriage
from kcrashd.sinks.journal import RETRIAGE_MESSAGE_ID
from kcrashd.store.database import Store, connect_readonly
from tests.daemon.dumps import write_rhel
from tests.fixtures.journald import Journald
from tests.grouping.lab_store import LAB, LabStore, lab_config, process_all, record_lab
from tests.grouping.rule_change import Rekey, earlier_version

pytestmark = pytest.mark.journal
GPF, WARN, WARN_AGAIN = "deb11-5.10_gpf_run1", "deb12-6.1_warning_run1", "deb12-6.1_warning_run2"
REPO = Path(__file__).resolve().parents[2]
OLD_KEY = "kc3-00000000000001d0"  # the key an earlier rule gave the lab WARNING


def kcrashd(config: Config, *args: str) -> Any:
    """The kcrashd program on this state, its JSON output."""
    proc = subprocess.run(
        [sys.executable, "-m", "kcrashd", *args, "--state-dir", str(config.state.state_dir), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def grouping(config: Config, lab: LabStore) -> dict[str, tuple[str, int]]:
    """Each lab case's group key and count, as `kcrashd list` shows them."""
    rows = {row["crash_id"]: (row["fingerprint"], row["count"]) for row in kcrashd(config, "list")}
    return {case: rows[crash_id] for case, crash_id in lab.ids.items()}


def dump(config: Config) -> list[tuple[Any, ...]]:
    """Every row of the state's grouping tables (`retriage --dry-run` must leave them as they are)."""
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    try:
        return [tuple(row) for table in ("crashes", "fingerprints", "fingerprint_hosts", "merges")
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]  # fmt: skip
    finally:
        conn.close()


def test_dry_run_then_apply_under_the_current_rules(journald: Journald, tmp_path: Path) -> None:
    """Crashes recorded under an earlier rule (the WARNING keyed OLD_KEY) move to the key the
    current rules give; applied, that key joins the old group: counts, and the next crash, follow,
    and the paging policy (a webhook and a Redmine target, never reached: the decisions are made
    when a crash is recorded) takes that crash as a recurrence on the old key's ticket."""
    from kcrashd.config.alerting import AlertsConfig

    tracker = {"name": "rm", "type": "redmine", "url": "http://127.0.0.1:9", "project": "kcrash",
               "fingerprint_field_id": 1, "api_key_ref": "env:RM_KEY"}  # fmt: skip
    alerts = AlertsConfig.model_validate({"targets": [{"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"}, tracker]})
    config = lab_config(tmp_path).model_copy(update={"alerts": alerts})
    lab = record_lab(config, [GPF, WARN, WARN_AGAIN], analyze=Rekey("lab_trigger_warning", OLD_KEY))
    current = analyze((LAB / WARN / "vmcore-dmesg.txt").read_bytes()).fingerprint
    before = dump(config)
    assert grouping(config, lab)[WARN] == (OLD_KEY, 2)

    out = kcrashd(config, "retriage", "--dry-run")
    moved = {(m["crash_id"], m["host"], m["folder"], m["old"], m["new"]) for m in out["moves"]}
    assert moved == {(lab.ids[c], f"10.0.0.{n}", lab.folders[c], OLD_KEY, current) for n, c in ((2, WARN), (3, WARN_AGAIN))}
    assert (out["unchanged"], out["no_log"], out["applied"], out["journaled"]) == (1, [], False, False)
    assert dump(config) == before  # a dry run changes nothing

    out = kcrashd(config, "retriage", "-j", "2")
    assert len(out["moves"]) == 2 and out["links"] == [{"alias": current, "fingerprint": OLD_KEY}] and out["journaled"]
    entry = journald.wait_for(1, MESSAGE_ID=RETRIAGE_MESSAGE_ID)[0]
    assert entry["KCRASHD_RETRIAGE_MOVED"] == "2" and entry["KCRASHD_RETRIAGE_LINKS"] == f"{current}>{OLD_KEY}"
    assert set(entry["KCRASHD_CRASH_IDS"].split()) == {lab.ids[WARN], lab.ids[WARN_AGAIN]}
    section = (REPO / "docs" / "journal-fields.md").read_text().split("## Retriage", 1)[1].split("\n## ", 1)[0]
    assert RETRIAGE_MESSAGE_ID in section
    assert {k for k in entry if k.startswith("KCRASHD_")} == set(re.findall(r"^\| `(KCRASHD_[A-Z_]+)` \|", section, re.M))
    assert f"\n\n-- {RETRIAGE_MESSAGE_ID}\nSubject: " in (REPO / "systemd" / "kcrashd.catalog").read_text()
    assert grouping(config, lab)[WARN] == (OLD_KEY, 2)  # history stays where it was counted
    info = kcrashd(config, "info", lab.ids[WARN])
    assert info["record"]["report"]["fingerprint"] == OLD_KEY and current in info["record"]["report"]["fingerprint_aliases"]

    again = kcrashd(config, "retriage")  # idempotent: nothing moves, nothing is journaled
    assert (again["moves"], again["links"], again["unchanged"], again["journaled"]) == ([], [], 3, False)
    more = record_lab(config, ["deb11-5.10_warning_run1"], start=3, recent=True)  # the current rules
    lab.ids.update(more.ids)
    assert grouping(config, lab)["deb11-5.10_warning_run1"] == (OLD_KEY, 3)  # filed under the old key
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    try:
        decided = dict(conn.execute("SELECT crash_id, alert_key || ' ' || ticket FROM crashes"))
    finally:
        conn.close()
    assert decided[lab.ids[WARN]] == f"{OLD_KEY} new" and decided[more.ids["deb11-5.10_warning_run1"]] == f"{OLD_KEY} recurrence"


def test_a_rule_that_joins_two_bugs(tmp_path: Path) -> None:
    """A simulated rule change (the WARNING keyed as the GPF): retriage finds both WARNING crashes
    moving onto the GPF's key; applied, `list` and `info` show one group of three."""
    config = lab_config(tmp_path)
    lab = record_lab(config, [GPF, WARN, WARN_AGAIN])
    gpf, warn = grouping(config, lab)[GPF][0], grouping(config, lab)[WARN][0]
    rule = Rekey("lab_trigger_warning", gpf)
    conn = connect_readonly(config.state.state_dir / "state.db")
    try:
        found = retriage(conn, rule, jobs=2)
    finally:
        conn.close()
    assert sorted((m.crash.crash_id, m.old, m.new) for m in found.moves) == sorted(
        (lab.ids[c], warn, gpf) for c in (WARN, WARN_AGAIN)
    )
    store = Store(config.state.state_dir)
    try:
        links = apply(store.conn, found, 1.0)
        assert [(m.alias, m.fingerprint) for m in links] == [(warn, gpf)]
        assert retriage(store.conn, rule).moves == []  # idempotent
    finally:
        store.close()
    assert grouping(config, lab) == {GPF: (gpf, 3), WARN: (gpf, 3), WARN_AGAIN: (gpf, 3)}
    info = kcrashd(config, "info", lab.folders[WARN_AGAIN])
    assert (info["fingerprint"], info["fingerprint_count"]) == (gpf, 3)
    assert kcrashd(config, "retriage", "--dry-run")["moves"] == []  # the built-in rules: still one group


def test_since(tmp_path: Path) -> None:
    config = lab_config(tmp_path)
    record_lab(config, [WARN, WARN_AGAIN], analyze=Rekey("lab_trigger_warning", OLD_KEY))  # 2024-05-01, 05-02
    out = kcrashd(config, "retriage", "--dry-run", "--since", "2024-05-02T00:00:00+00:00")
    assert [m["folder"] for m in out["moves"]] == ["10.0.0.2-2024-05-02-10:01:00"] and out["unchanged"] == 0
    conf = tmp_path / "kcrashd.toml"  # the state named by a configuration file this time
    conf.write_text(f'[state]\nstate_dir = "{config.state.state_dir}"\n')
    text = subprocess.run(
        [sys.executable, "-m", "kcrashd", "retriage", "--dry-run", "--since", "2024-05-02", "--config", str(conf)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    (line,) = text.stdout.splitlines()[1:]  # under the headings: one move
    move = out["moves"][0]
    assert line.split() == [OLD_KEY, move["new"], move["crash_id"][:12], "10.0.0.2", "10.0.0.2-2024-05-02-10:01:00", "link"]
    assert text.returncode == 0 and "1 crash(es) would move, 0 unchanged, 0 with no log kept" in text.stderr


def test_a_database_of_the_previous_schema(tmp_path: Path) -> None:
    """A state database of history schema 2 (no kept logs): retriage says so for each crash; the
    daemon's store upgrades it, and crashes recorded then keep their log."""
    config = lab_config(tmp_path)
    lab = record_lab(config, [GPF, WARN])
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    conn.executescript("DROP TABLE crash_logs; UPDATE schema_versions SET version = 2 WHERE component = 'history'")
    conn.close()
    out = kcrashd(config, "retriage", "--dry-run")
    assert sorted(c["crash_id"] for c in out["no_log"]) == sorted(lab.ids.values()) and out["moves"] == []
    more = record_lab(config, [WARN_AGAIN], start=2)
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    try:
        assert conn.execute("SELECT version FROM schema_versions WHERE component = 'history'").fetchone() == (3,)
    finally:
        conn.close()
    out = kcrashd(config, "retriage")
    assert len(out["no_log"]) == 2 and out["unchanged"] == 1 and more.ids[WARN_AGAIN] not in str(out["no_log"])


def test_a_huge_log_keeps_64_kib(tmp_path: Path) -> None:
    """A console log of 5 MiB (the lab GPF between weeks of another machine's boots, read as
    windows by kcrashd.sources.logfile): at most 64 KiB of it is kept (plus marks), and a retriage of what
    was kept keys it as the whole log was."""
    config = lab_config(tmp_path)
    noise = b"".join((LAB / case / "console.log").read_bytes() for case in ("deb12-6.1_hung-task_run1",))
    lines = [line for line in noise.splitlines(keepends=True) if b"Call Trace" not in line and b"INFO:" not in line]
    filler = b"".join(lines)
    crash = (LAB / GPF / "vmcore-dmesg.txt").read_bytes()
    log = filler * ((3 << 20) // len(filler)) + crash + filler * ((2 << 20) // len(filler))
    assert len(log) > 4.5 * (1 << 20)
    write_rhel(config.sources.dump_paths[0], "10.0.0.1-2024-05-01-10:00:00", log)
    (crash_id,) = process_all(config)
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    try:
        blob, kept, read = conn.execute("SELECT log, kept, read FROM crash_logs WHERE crash_id = ?", (crash_id,)).fetchone()
    finally:
        conn.close()
    assert KEEP_BYTES < read <= len(log) and kept <= KEEP_BYTES + 4096 and len(blob) < kept  # read: the reader's windows
    whole = analyze(log)
    assert analyze(zlib.decompress(blob)).fingerprint == whole.fingerprint  # not the head: the report's windows
    out = kcrashd(config, "retriage", "--dry-run")
    assert out["moves"] == [] and out["unchanged"] == 1
    assert kcrashd(config, "info", crash_id)["record"]["report"]["fingerprint"] == whole.fingerprint


def test_a_new_fingerprint_version_moves_nothing(tmp_path: Path) -> None:
    """Crashes recorded under version 2's keys: the current version lists them as aliases, so
    retriage moves none, and a new crash of the bug is filed and counted under the version-2 key."""
    config = lab_config(tmp_path)
    lab = record_lab(config, [GPF, WARN], analyze=earlier_version)
    old = grouping(config, lab)[WARN][0]
    assert old.startswith("kc2-")
    out = kcrashd(config, "retriage", "--dry-run")
    assert (out["moves"], out["unchanged"]) == ([], 2)
    lab.ids.update(record_lab(config, [WARN_AGAIN], start=2).ids)  # the current version
    assert grouping(config, lab)[WARN_AGAIN] == (old, 2)


def test_refusals(tmp_path: Path) -> None:
    """No state database: exit 3 and none is created; a bad --since or -j: exit 2."""
    state = tmp_path / "none"
    for args, code in ((["retriage"], 3), (["retriage", "--dry-run"], 3), (["retriage", "--since", "soon"], 2),
                       (["retriage", "-j", "0"], 2)):  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", "kcrashd", *args, "--state-dir", str(state)], capture_output=True, text=True)
        assert proc.returncode == code, (args, proc.stderr)
    assert not state.exists()


def test_a_rule_that_splits_one_bug(journald: Journald, tmp_path: Path) -> None:
    """The lab timer BUG, one key without rules (in the kcrashd_lab module or built in), recorded
    before the rule file that splits it by module (tests/grouping/rule_samples.py SPLIT_TIMER)
    existed: `retriage --dry-run` shows the module's crash moving to the rule's key and that the
    key will not be linked (its group's other crash stays); applied, the group keeps its history,
    the rule's key starts its own: a later crash of the module pages as new under it, a later
    built-in one continues the old group. A second run moves nothing."""
    from kcrashd.config.grouping_rules import load_rules
    from kcrashd.config.settings import load_config
    from tests.grouping.rule_samples import SPLIT_TIMER, TIMER_BUILT_IN, TIMER_IN_MODULE, write_etc

    main = write_etc(tmp_path, {}, webhook="http://127.0.0.1:9/h")  # never reached: decisions only
    config = load_config(main)
    lab = record_lab(config, [TIMER_BUILT_IN, TIMER_IN_MODULE, GPF])
    old = grouping(config, lab)[TIMER_BUILT_IN][0]
    assert grouping(config, lab)[TIMER_IN_MODULE] == (old, 2)  # one bug without the rule
    (main.parent / "grouping.d" / "60-timer.toml").write_text(SPLIT_TIMER)
    rules = load_rules(config, main)
    new = analyze((LAB / TIMER_IN_MODULE / "vmcore-dmesg.txt").read_bytes(), rules=rules).fingerprint
    assert new.startswith("kcr-") and new != old
    before = dump(config)

    dry = kcrashd(config, "retriage", "--dry-run", "--config", str(main))
    assert [(m["crash_id"], m["old"], m["new"], m["link"]) for m in dry["moves"]] == [(lab.ids[TIMER_IN_MODULE], old, new, False)]
    assert (dry["split"], dry["unchanged"], dry["applied"]) == ([{"fingerprint": old, "split_off": [new]}], 2, False)
    assert dump(config) == before

    out = kcrashd(config, "retriage", "--config", str(main))
    assert [(m["crash_id"], m["link"]) for m in out["moves"]] == [(lab.ids[TIMER_IN_MODULE], False)]
    assert (out["links"], out["split"], out["journaled"]) == ([], dry["split"], True)
    (entry,) = journald.wait_for(1, MESSAGE_ID=RETRIAGE_MESSAGE_ID, KCRASHD_CRASH_IDS=lab.ids[TIMER_IN_MODULE])
    assert (entry["KCRASHD_RETRIAGE_SPLIT"], entry["KCRASHD_RETRIAGE_LINKS"]) == (f"{old}<{new}", "")
    assert grouping(config, lab)[TIMER_IN_MODULE] == (old, 2)  # the old group's history stays with it
    info = kcrashd(config, "info", lab.ids[TIMER_IN_MODULE])
    assert info["fingerprint"] == old and new in info["record"]["report"]["fingerprint_aliases"]
    again = kcrashd(config, "retriage", "--config", str(main))  # applied already: nothing moves again
    assert (again["moves"], again["split"], again["unchanged"]) == ([], [], 3)

    later = record_lab(config, [TIMER_IN_MODULE, TIMER_BUILT_IN], start=3, recent=True, rules=rules)
    lab.ids.update({f"later {case}": crash_id for case, crash_id in later.ids.items()})
    rows = grouping(config, lab)
    assert rows[f"later {TIMER_IN_MODULE}"] == (new, 1) and rows[f"later {TIMER_BUILT_IN}"] == (old, 3)
    conn = sqlite3.connect(config.state.state_dir / "state.db")
    try:
        decided = dict(conn.execute("SELECT crash_id, alert_key || ' ' || ticket FROM crashes"))
    finally:
        conn.close()
    assert decided[later.ids[TIMER_IN_MODULE]] == f"{new} new"  # a key split off pages as a new bug
    assert decided[later.ids[TIMER_BUILT_IN]] == f"{old} recurrence"  # the old group continues
    group = kcrashd(config, "list", f"FINGERPRINT={new}")
    assert [row["crash_id"] for row in group] == [later.ids[TIMER_IN_MODULE]]
    # the rule widened to every timer BUG, so every crash of the old group goes to the rule's key:
    # a merge now, not a split, and the old group joins the key's (history follows)
    (main.parent / "grouping.d" / "60-timer.toml").write_text(SPLIT_TIMER.replace(', module = ["kcrashd_lab"]', ""))
    joined = kcrashd(config, "retriage", "--config", str(main))
    assert {(m["old"], m["new"], m["link"]) for m in joined["moves"]} == {(old, new, True)}
    assert (joined["links"], joined["split"]) == ([{"alias": old, "fingerprint": new}], [])
    assert {case: key for case, (key, _) in grouping(config, lab).items() if "gpf" not in case} == dict.fromkeys(
        [TIMER_BUILT_IN, TIMER_IN_MODULE, f"later {TIMER_BUILT_IN}", f"later {TIMER_IN_MODULE}"], new)
