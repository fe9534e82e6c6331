"""grouping.d rule files: read in name order with each rule's file:line; `kcrashd check-config`
refuses a bad one with file:line and the reason (a real process), accepts the good ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.cli import main
from kcrashd.config.grouping_rules import load_rules
from kcrashd.config.settings import ConfigError, load_config
from kcrashd.core.operator_rules import FrameAction
from tests.grouping.rule_samples import (
    MERGE_INIT,
    MERGE_INIT_LINE,
    SKIP_HUNG,
    SPLIT_TIMER,
    SPLIT_TIMER_LINE,
    write_etc,
)

GOOD = {"60-timer.toml": SPLIT_TIMER, "50-init.toml": MERGE_INIT, "40-frames.toml": SKIP_HUNG, "README": "not a rule file ["}

# (file text, line of the error, words of the reason): each is refused.
BAD = [
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nmatch = { kind = ["bug"] \n', 4, "Unclosed inline table", id="toml-syntax"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nmatch = { kind = ["bug"] }\nkeys = "typo"\n', 5,
                 "override.0.keys: unknown setting", id="unknown-key"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\n\n[override.match]\ntitle = "(a+)+ in"\n', 6,
                 "title pattern refused: a repeat inside another repeat", id="nested-quantifiers"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nmatch = { title = "in \\\\w+\\\\s*\\\\w+" }\n', 4,
                 "title pattern refused: two unbounded repeats next to each other", id="adjacent-quantifiers"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nmatch = { title = "in (foo" }\n', 4,
                 "not a regular expression", id="regex-syntax"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nmatch = {}\n', 4, "an empty match would match every crash", id="empty-match"),
    pytest.param('[[override]]\nname = "x"\nkey = "k"\nextra = "e"\nmatch = { kind = ["bug"] }\n', 1,
                 "exactly one of `key`, `extra` and `fingerprint`", id="two-results"),
    pytest.param('[[override]]\nname = "x"\nfingerprint = "not a key"\nmatch = { kind = ["bug"] }\n', 3,
                 "is no fingerprint", id="bad-fingerprint"),
    pytest.param('[[frames]]\nname = "x"\n', 1, "needs `skip`, `stop` or `join`", id="frame-rule-without-frames"),
    pytest.param('[[frames]]\nname = "x"\nskip = ["foo bar"]\n', 3, "'foo bar' is no function name", id="bad-function-name"),
    pytest.param('[[frames]]\nname = "x"\nskip = ["f"]\norigin = "elsewhere:1"\n', 4, "frames.origin: unknown setting", id="origin"),
    pytest.param('[[frames]]\nname = "x"\nskip = ["f"]\n\n[[frames]]\nname = "x"\nstop = ["g"]\n', 5,
                 "'x' is used already", id="duplicate-name"),
    pytest.param("[grouping]\nsimilar = 1\n", 1, "unknown setting", id="not-a-rule-table"),
]


def test_files_in_name_order_with_their_lines(tmp_path: Path) -> None:
    path = write_etc(tmp_path, GOOD)
    rules = load_rules(load_config(path), path)
    folder = path.parent / "grouping.d"
    assert [r.origin for r in rules.overrides] == [f"{folder}/50-init.toml:{MERGE_INIT_LINE}", f"{folder}/60-timer.toml:{SPLIT_TIMER_LINE}"]
    assert [r.origin for r in rules.frames] == [f"{folder}/40-frames.toml:1"]
    assert rules.frame_rule(FrameAction.SKIP, "lab_trigger_hung_task") is rules.frames[0]
    assert rules.overrides[0].match.kind == ("init-exit", "init-signal") and rules.overrides[1].extra == "module kcrashd_lab"


def test_check_config_accepts_good_files(tmp_path: Path) -> None:
    path = write_etc(tmp_path, GOOD)
    result = subprocess.run([sys.executable, "-m", "kcrashd", "check-config", "--config", str(path), "--json"],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    folder = path.parent / "grouping.d"
    assert doc["rule_files"] == [str(folder / name) for name in ("40-frames.toml", "50-init.toml", "60-timer.toml")]
    assert [r["name"] for r in doc["rules"]["overrides"]] == ["init died", "timer bug in the module"]
    assert doc["config"]["grouping"]["rules_dir"] == "grouping.d"


@pytest.mark.parametrize(("text", "line", "reason"), BAD)
def test_check_config_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, reason: str) -> None:
    path = write_etc(tmp_path, {"10-good.toml": MERGE_INIT, "20-bad.toml": text})
    bad = path.parent / "grouping.d" / "20-bad.toml"
    assert main(["check-config", "--config", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"kcrashd: {bad}:{line}: "), err
    assert reason in err, err
    with pytest.raises(ConfigError):
        load_rules(load_config(path), path)


def test_check_config_process_refuses_a_hostile_pattern(tmp_path: Path) -> None:
    text = '[[override]]\nname = "x"\nkey = "k"\n\n[override.match]\nkind = ["bug"]\ntitle = "(x|xx)+y"\n'
    path = write_etc(tmp_path, {"30-bad.toml": text})
    result = subprocess.run([sys.executable, "-m", "kcrashd", "check-config", "--config", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"kcrashd: {path.parent}/grouping.d/30-bad.toml:7: override.0.match.title: title pattern refused: alternatives (|) inside a repeat\n"


def test_rules_dir_setting(tmp_path: Path) -> None:
    """`[grouping] rules_dir`: relative to the main file's folder, or absolute; missing: no rules."""
    path = write_etc(tmp_path, {})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "1.toml").write_text(MERGE_INIT)
    assert load_rules(load_config(path), path).empty
    with path.open("a") as f:
        f.write(f'\n[grouping]\nrules_dir = "{tmp_path / "elsewhere"}"\n')
    assert len(load_rules(load_config(path), path).overrides) == 1
    path.write_text(path.read_text().replace(str(tmp_path / "elsewhere"), "../elsewhere"))
    assert load_rules(load_config(path), path).overrides[0].origin == f"{path.parent}/../elsewhere/1.toml:{MERGE_INIT_LINE}"
    path.write_text(path.read_text().replace("../elsewhere", "../missing"))
    assert load_rules(load_config(path), path).empty


def test_analyze_with_config(tmp_path: Path) -> None:
    """`kcrashd analyze --config` applies the rules, in this process (-j 1) and in forked workers."""
    from tests.grouping.rule_samples import INIT_EXIT, INIT_SIGNAL, LAB, rule_key

    path = write_etc(tmp_path, GOOD)
    logs = [str(LAB / case / "vmcore-dmesg.txt") for case in (INIT_EXIT, INIT_SIGNAL)]
    for jobs in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "kcrashd", "analyze", "--format", "json", "-j", jobs, "--config", str(path), *logs],
                                capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert [json.loads(line)["fingerprint"] for line in result.stdout.splitlines()] == [rule_key("init died")] * 2
    text = subprocess.run([sys.executable, "-m", "kcrashd", "analyze", "--config", str(path), logs[0]],
                          capture_output=True, text=True, timeout=120, check=False).stdout  # fmt: skip
    assert f"rule         {path.parent}/grouping.d/50-init.toml:2 override init died: fingerprint " in text
    plain = subprocess.run([sys.executable, "-m", "kcrashd", "analyze", "--format", "json", *logs],
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert rule_key("init died") not in plain.stdout
