"""`kcrashd group export`: the merges of one state as a grouping.d rule file that, loaded on
another host with a fresh state, groups the same real lab crashes under the same keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from kcrashd.config.grouping_rules import load_rules
from kcrashd.config.settings import load_config
from tests.grouping.lab_store import record_lab
from tests.grouping.rule_samples import write_etc

GPF, WARN, WARN_AGAIN, BUG = "deb11-5.10_gpf_run1", "deb12-6.1_warning_run1", "deb12-6.1_warning_run2", "deb11-5.10_bug_run1"


def kcrashd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kcrashd", *args], capture_output=True, text=True, timeout=120, check=False)


def keys_of(main: Path, ids: dict[str, str]) -> dict[str, Any]:
    result = kcrashd("list", "--config", str(main), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["crash_id"]: row["fingerprint"] for row in json.loads(result.stdout)}
    return {case: rows[crash_id] for case, crash_id in ids.items()}


def test_export_then_load_on_a_fresh_state(tmp_path: Path) -> None:
    here = write_etc(tmp_path / "a", {})
    lab = record_lab(load_config(here), [GPF, WARN, BUG])
    before = keys_of(here, lab.ids)
    assert len(set(before.values())) == 3
    merged = kcrashd("group", "merge", "--config", str(here), before[GPF], before[WARN])
    assert merged.returncode == 0, merged.stderr
    grouped = keys_of(here, lab.ids)
    assert grouped[WARN] == grouped[GPF] == before[GPF] and grouped[BUG] == before[BUG]

    there = write_etc(tmp_path / "b", {})
    exported = kcrashd("group", "export", "--config", str(here), "--output", str(there.parent / "grouping.d" / "70-merges.toml"))
    assert exported.returncode == 0, exported.stderr
    assert kcrashd("check-config", "--config", str(there), "--quiet").returncode == 0
    config = load_config(there)
    fresh = record_lab(config, [WARN, GPF, BUG, WARN_AGAIN], rules=load_rules(config, there))  # another order
    after = keys_of(there, fresh.ids)
    assert {case: after[case] for case in grouped} == grouped
    assert after[WARN_AGAIN] == grouped[GPF]


def test_export_json_and_stdout(tmp_path: Path) -> None:
    here = write_etc(tmp_path, {})
    lab = record_lab(load_config(here), [GPF, WARN])
    keys = keys_of(here, lab.ids)
    empty = kcrashd("group", "export", "--config", str(here))
    assert empty.returncode == 0 and "[[override]]" not in empty.stdout and empty.stdout.startswith("# Written by `kcrashd group export`")
    assert kcrashd("group", "merge", "--config", str(here), keys[GPF], keys[WARN]).returncode == 0
    text = kcrashd("group", "export", "--config", str(here)).stdout
    assert f'match = {{ fingerprint = ["{keys[WARN]}"] }}\nfingerprint = "{keys[GPF]}"' in text
    data = json.loads(kcrashd("group", "export", "--config", str(here), "--json").stdout)
    assert data == {"file": None, "override": [
        {"name": f"merge {keys[WARN]} into {keys[GPF]}", "match": {"fingerprint": [keys[WARN]]}, "fingerprint": keys[GPF]}]}
