"""`kcrashd check-config`: drop-ins in order, errors with file:line, secrets redacted."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from kcrashd.cli import main
from kcrashd.config import Config
from tests.packaging.conftest import REPO

SHIPPED = REPO / "etc/kcrashd/kcrashd.toml"


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    """A copy of the shipped /etc/kcrashd with an empty drop-in directory."""
    conf = tmp_path / "kcrashd"
    conf.mkdir()
    shutil.copyfile(SHIPPED, conf / "kcrashd.toml")
    (conf / "kcrashd.d").mkdir()
    return conf


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check-config", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_shipped_file_prints_defaults_as_toml(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, "--config", str(etc / "kcrashd.toml"))
    assert (code, err) == (0, "")
    assert str(etc / "kcrashd.toml") in out.splitlines()[0]
    assert Config.model_validate(tomllib.loads(out)) == Config()


def test_json(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, "--config", str(etc / "kcrashd.toml"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["files"] == [str(etc / "kcrashd.toml")]
    assert Config.model_validate(doc["config"]) == Config()


def test_dropins_override_in_name_order(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (etc / "kcrashd.d/20-later.toml").write_text("[sources]\npoll_interval = 7.0\n")
    (etc / "kcrashd.d/10-first.toml").write_text("[sources]\npoll_interval = 5.0\npoll = true\n")
    (etc / "kcrashd.d/30-not-toml.conf").write_text("ignored = [")
    code, out, _ = check(capsys, "--config", str(etc / "kcrashd.toml"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert [Path(f).name for f in doc["files"]] == ["kcrashd.toml", "10-first.toml", "20-later.toml"]
    sources = doc["config"]["sources"]
    assert (sources["poll"], sources["poll_interval"]) == (True, 7.0)
    assert sources["dump_paths"] == ["/var/crash"]  # tables merge key by key


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[sources]\n\npoll_interval = -1\n", 3, "greater than 0"),
        ("[state]\nretention_days = 0\n", 2, "greater than or equal to 1"),
        ("[sources]\nkdump = 'maybe'\n", 2, "valid boolean"),
        ("[sources]\nno_such_setting = 1\n", 2, "Extra inputs are not permitted"),
        ("[sources\npoll = true\n", 1, ""),  # TOML syntax: tomllib names the line
    ],
)
def test_bad_dropin_names_file_line_and_reason(
    etc: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, reason: str
) -> None:
    bad = etc / "kcrashd.d/50-bad.toml"
    bad.write_text(text)
    code, out, err = check(capsys, "--config", str(etc / "kcrashd.toml"))
    assert code == 1
    assert out == ""
    assert err.startswith(f"kcrashd: {bad}")
    assert f":{line}" in err or f"line {line}" in err
    assert reason in err


def test_error_in_main_file_is_not_blamed_on_a_dropin(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A drop-in that also sets [sources] must not take the blame for the main file's mistake."""
    main_file = etc / "kcrashd.toml"
    main_file.write_text(main_file.read_text().replace("poll_interval = 30.0", "poll_interval = -5.0"))
    (etc / "kcrashd.d/10-ok.toml").write_text("[sources]\nsettle_seconds = 1.0\n")
    code, _, err = check(capsys, "--config", str(main_file))
    assert code == 1
    number = next(
        i for i, text in enumerate(main_file.read_text().splitlines(), 1) if "poll_interval" in text
    )
    assert err.startswith(f"kcrashd: {main_file}:{number}: sources.poll_interval")


def test_missing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, "--config", str(tmp_path / "nope.toml"))
    assert (code, out) == (1, "")
    assert "no such file" in err


def test_quiet(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(capsys, "--config", str(etc / "kcrashd.toml"), "-q") == (0, "", "")


def test_secrets_are_redacted(etc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (etc / "kcrashd.d/50-alerts.toml").write_text(
        """
[[alerts.targets]]
name = "ops"
type = "webhook"
url = "https://hooks.example.com/in?token=hunter2hunter2"
secret_ref = "credential:kcrashd_webhook-secret"
proxy = "http://user:pr0xypass@proxy.example.com:3128"
headers = { Authorization = "Bearer s3cr3t-bearer" }
"""
    )
    for args in ((), ("--json",)):
        code, out, err = check(capsys, "--config", str(etc / "kcrashd.toml"), *args)
        assert code == 0, err
        for secret in ("hunter2hunter2", "pr0xypass", "s3cr3t-bearer"):
            assert secret not in out
        assert "credential:kcrashd_webhook-secret" in out  # a reference is not a secret
        assert "[redacted]" in out
        assert "hooks.example.com" in out
    code, out, _ = check(capsys, "--config", str(etc / "kcrashd.toml"))
    parsed = tomllib.loads(out)  # the TOML output stays valid with arrays of tables
    assert parsed["alerts"]["targets"][0]["name"] == "ops"
