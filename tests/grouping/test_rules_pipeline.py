"""Operator grouping rules (grouping.d) through the real parts: real lab logs written as kdump
folders, triaged by the daemon's worker processes (`python -m kcrashd.triage.worker --rules`) or
the pipeline's own analysis, recorded in a real state database, read back by `kcrashd list` and
`kcrashd info --explain` as processes, and paged to a real webhook receiver on 127.0.0.1.

One rule file merges two lab bugs of two kinds (init exited, init killed) into one key; another
splits one bug (the timer BUG, in the kcrashd_lab module or built in) into two."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.config.grouping_rules import load_rules
from kcrashd.config.settings import load_config
from kcrashd.core import analyze
from kcrashd.daemon.service import scan_once
from kcrashd.store.database import DB_NAME
from kcrashd.triage.pool import DeadlineAnalyzer, TriagePool
from tests.grouping.lab_store import QuietJournal, record_lab
from tests.grouping.rule_samples import (
    INIT_EXIT,
    INIT_SIGNAL,
    LAB,
    MERGE_INIT,
    MERGE_INIT_LINE,
    SPLIT_TIMER,
    TIMER_BUILT_IN,
    TIMER_IN_MODULE,
    rule_key,
    write_etc,
)

# the built-in timer bug first: its key is known when the crash the rule splits off comes
CASES = [INIT_EXIT, INIT_SIGNAL, TIMER_BUILT_IN, TIMER_IN_MODULE, "deb11-5.10_gpf_run1"]
RULES = {"50-init.toml": MERGE_INIT, "60-timer.toml": SPLIT_TIMER}


def plain(case: str) -> str:
    """The key triage gives the case without rules."""
    return analyze((LAB / case / "vmcore-dmesg.txt").read_bytes()).fingerprint


def kcrashd(*args: str) -> Any:
    result = subprocess.run([sys.executable, "-m", "kcrashd", *args, "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def listed(main: Path, ids: dict[str, str]) -> dict[str, tuple[str, str]]:
    """(fingerprint, computed_fingerprint) of each case, as `kcrashd list --config` shows it."""
    rows = {row["crash_id"]: (row["fingerprint"], row["computed_fingerprint"]) for row in kcrashd("list", "--config", str(main))}
    return {case: rows[crash_id] for case, crash_id in ids.items()}


def test_merge_and_split_through_the_workers(tmp_path: Path) -> None:
    main = write_etc(tmp_path, RULES)
    config = load_config(main)
    pool = TriagePool(30.0, 1, rules=load_rules(config, main))  # the daemon's worker processes
    try:
        lab = record_lab(config, CASES, analyze=DeadlineAnalyzer(pool, patience=None))
    finally:
        pool.close()
    keys = listed(main, lab.ids)
    init = rule_key("init died")
    assert plain(INIT_EXIT) != plain(INIT_SIGNAL)  # two bugs without the rule
    assert keys[INIT_EXIT] == (init, plain(INIT_EXIT)) and keys[INIT_SIGNAL] == (init, plain(INIT_SIGNAL))
    assert plain(TIMER_IN_MODULE) == plain(TIMER_BUILT_IN)  # one bug without the rule
    assert keys[TIMER_BUILT_IN] == (plain(TIMER_BUILT_IN),) * 2
    assert keys[TIMER_IN_MODULE][0] not in (plain(TIMER_IN_MODULE), init) and keys[TIMER_IN_MODULE][0].startswith("kcr-")
    assert keys["deb11-5.10_gpf_run1"] == (plain("deb11-5.10_gpf_run1"),) * 2  # no rule matches: untouched
    group = kcrashd("list", "--config", str(main), f"FINGERPRINT={init}")
    assert sorted(row["crash_id"] for row in group) == sorted([lab.ids[INIT_EXIT], lab.ids[INIT_SIGNAL]])

    rule_file = main.parent / "grouping.d" / "50-init.toml"
    info = kcrashd("info", "--config", str(main), "--state-dir", str(config.state.state_dir), "--explain", lab.ids[INIT_SIGNAL])
    exp = info["explanation"]
    assert exp["fingerprint"] == exp["rule_fingerprint"] == exp["fingerprint_today"] == init
    assert exp["computed_fingerprint"] == plain(INIT_SIGNAL)
    assert exp["operator_rules"] == [{
        "origin": f"{rule_file}:{MERGE_INIT_LINE}", "rule": "override init died", "fingerprint": init,
        "effect": f"fingerprint {plain(INIT_SIGNAL)} -> {init} (fixed key 'init died')",
    }]  # fmt: skip
    assert exp["operator_rules_today"] == exp["operator_rules"]
    assert plain(INIT_SIGNAL) in info["record"]["report"]["fingerprint_aliases"]


def test_explain_text_names_the_rule_and_what_changed(tmp_path: Path) -> None:
    main = write_etc(tmp_path, RULES)
    config = load_config(main)
    lab = record_lab(config, [INIT_EXIT], rules=load_rules(config, main))  # the pipeline's own analysis
    result = subprocess.run(
        [sys.executable, "-m", "kcrashd", "info", "--config", str(main), "--no-pager", "--explain", lab.folders[INIT_EXIT]],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rule_file = main.parent / "grouping.d" / "50-init.toml"
    init = rule_key("init died")
    assert f"Rule:          {rule_file}:{MERGE_INIT_LINE} override init died: fingerprint {plain(INIT_EXIT)} -> {init} (fixed key 'init died')" in result.stdout
    assert "Stored under" not in result.stdout and "Rule today" not in result.stdout
    assert f"Grouped as {init}; triage computed {plain(INIT_EXIT)} (a grouping rule: --explain)" in result.stdout
    # the rule file taken away: the log replayed today gets its own key back, and --explain says so
    rule_file.unlink()
    again = subprocess.run(
        [sys.executable, "-m", "kcrashd", "info", "--config", str(main), "--no-pager", "--explain", lab.folders[INIT_EXIT]],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "Rule today:    none applies" in again.stdout
    assert f"Today:         triage gives this log {plain(INIT_EXIT)}" not in again.stdout  # computed = today: no change shown


def test_pages_follow_the_rules(tmp_path: Path, httpserver: HTTPServer) -> None:
    """A merged bug pages once (its second crash is a recurrence in the cooldown); a split one
    pages twice, under two keys. Without the rules it is the other way round."""
    pages = {"ruled": page_keys(tmp_path / "ruled", httpserver, RULES), "plain": page_keys(tmp_path / "plain", httpserver, {})}
    init = rule_key("init died")
    assert sorted(pages["ruled"][INIT_EXIT] + pages["ruled"][INIT_SIGNAL]) == [init]
    assert len(set(pages["ruled"][TIMER_IN_MODULE] + pages["ruled"][TIMER_BUILT_IN])) == 2
    assert pages["plain"][INIT_EXIT] == [plain(INIT_EXIT)] and pages["plain"][INIT_SIGNAL] == [plain(INIT_SIGNAL)]
    assert pages["plain"][TIMER_IN_MODULE] + pages["plain"][TIMER_BUILT_IN] == [plain(TIMER_BUILT_IN)]


def page_keys(tmp_path: Path, httpserver: HTTPServer, rules: dict[str, str]) -> dict[str, list[str]]:
    """Record the cases (recent enough to page) with these rule files, deliver every page to the
    webhook receiver; the fingerprints each case's pages carried."""
    from kcrashd.sinks.alerting.delivery import Deliverer

    bodies: list[dict[str, Any]] = []

    def receive(request: Request) -> Response:
        bodies.append(request.get_json())
        return Response("", 204)

    path = f"/{tmp_path.name}"
    httpserver.expect_request(path, method="POST").respond_with_handler(receive)
    tmp_path.mkdir()
    main = write_etc(tmp_path, rules, webhook=httpserver.url_for(path))
    config = load_config(main)
    lab = record_lab(config, CASES[:4], recent=True, rules=load_rules(config, main))
    deliverer = Deliverer(config.state.state_dir / DB_NAME, config.alerts)
    try:
        deadline = time.monotonic() + 30
        while deliverer.deliver_due() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        deliverer.close()
    by_id = {case: crash_id for case, crash_id in lab.ids.items()}
    return {case: [b["data"]["fingerprint"] for b in bodies if b["data"]["crash_id"] == crash_id] for case, crash_id in by_id.items()}


def test_scan_uses_the_rules(tmp_path: Path) -> None:
    """`kcrashd scan`'s path (scan_once: one worker process with the rules frame)."""
    from kcrashd.store.database import Store
    from tests.daemon.dumps import write_rhel
    from tests.grouping.lab_store import folder_name

    main = write_etc(tmp_path, RULES)
    config = load_config(main)
    for n, case in enumerate([INIT_EXIT, INIT_SIGNAL]):
        write_rhel(config.sources.dump_paths[0], folder_name(n), (LAB / case / "vmcore-dmesg.txt").read_bytes())
    totals = scan_once(config, QuietJournal(), rules=load_rules(config, main))
    assert totals == {"journaled": 2}
    store = Store(config.state.state_dir)
    try:
        keys = {str(row[0]) for row in store.conn.execute("SELECT fingerprint FROM crashes")}
    finally:
        store.close()
    assert keys == {rule_key("init died")}


def test_reloaded_rules_reach_new_workers(tmp_path: Path) -> None:
    """`TriagePool.use_rules` (the daemon's reload): the next log is triaged with the new rules."""
    data = (LAB / INIT_EXIT / "vmcore-dmesg.txt").read_bytes()
    main = write_etc(tmp_path, RULES)
    pool = TriagePool(30.0, 1, rules=load_rules(load_config(main), main))
    analyzer = DeadlineAnalyzer(pool, patience=None)
    try:
        assert analyzer(data, source="a").fingerprint == rule_key("init died")
        (main.parent / "grouping.d" / "50-init.toml").write_text(MERGE_INIT.replace('key = "init died"', 'key = "init gone"'))
        pool.use_rules(load_rules(load_config(main), main))
        assert analyzer(data, source="b").fingerprint == rule_key("init gone")
        pool.use_rules(None)
        assert analyzer(data, source="c").fingerprint == plain(INIT_EXIT)
    finally:
        pool.close()


def test_retriage_with_a_new_rule_file(tmp_path: Path) -> None:
    """Crashes recorded before a rule file existed: `kcrashd retriage --dry-run` shows the two
    that the rule merges moving to its key; applied, the two are one group (the retriage links),
    and the next crash of either kind is filed there."""
    main = write_etc(tmp_path, {})
    config = load_config(main)
    lab = record_lab(config, [INIT_EXIT, INIT_SIGNAL, "deb11-5.10_gpf_run1"])
    (main.parent / "grouping.d" / "50-init.toml").write_text(MERGE_INIT)
    init = rule_key("init died")
    dry = kcrashd("retriage", "--dry-run", "--config", str(main))
    assert sorted((m["crash_id"], m["old"], m["new"]) for m in dry["moves"]) == sorted(
        [(lab.ids[INIT_EXIT], plain(INIT_EXIT), init), (lab.ids[INIT_SIGNAL], plain(INIT_SIGNAL), init)])
    assert dry["unchanged"] == 1 and not dry["applied"]
    assert kcrashd("retriage", "--dry-run", "-j", "1", "--config", str(main))["moves"] == dry["moves"]  # in process
    assert kcrashd("retriage", "--dry-run", "-j", "2", "--config", str(main))["moves"] == dry["moves"]  # workers
    applied = kcrashd("retriage", "--config", str(main))
    assert len(applied["moves"]) == 2 and applied["applied"]
    keys = listed(main, lab.ids)
    assert keys[INIT_EXIT][0] == keys[INIT_SIGNAL][0]
    again = record_lab(config, [INIT_SIGNAL], start=3, rules=load_rules(config, main))
    assert listed(main, again.ids)[INIT_SIGNAL][0] == keys[INIT_EXIT][0]
    assert kcrashd("retriage", "--dry-run", "--config", str(main))["moves"] == []


def test_retriage_when_a_merging_rule_goes(tmp_path: Path) -> None:
    """Crashes recorded under a rule that merges two bugs, then the rule file removed: every crash
    of the rule's group moves, to two keys: a split, so neither key is linked to the group; the
    next crash of each kind is a bug of its own."""
    main = write_etc(tmp_path, {"50-init.toml": MERGE_INIT})
    config = load_config(main)
    lab = record_lab(config, [INIT_EXIT, INIT_SIGNAL], rules=load_rules(config, main))
    init = rule_key("init died")
    (main.parent / "grouping.d" / "50-init.toml").unlink()
    applied = kcrashd("retriage", "--config", str(main))
    assert sorted((m["old"], m["new"], m["link"]) for m in applied["moves"]) == sorted(
        [(init, plain(INIT_EXIT), False), (init, plain(INIT_SIGNAL), False)])
    assert applied["links"] == [] and applied["split"] == [{"fingerprint": init, "split_off": sorted([plain(INIT_EXIT), plain(INIT_SIGNAL)])}]
    assert {key for key, _ in listed(main, lab.ids).values()} == {init}  # history stays with the rule's key
    later = record_lab(config, [INIT_EXIT, INIT_SIGNAL], start=2)
    assert listed(main, later.ids) == {INIT_EXIT: (plain(INIT_EXIT),) * 2, INIT_SIGNAL: (plain(INIT_SIGNAL),) * 2}
    assert kcrashd("retriage", "--dry-run", "--config", str(main))["moves"] == []
