"""`kcrashd check-config`: drop-ins in order, errors with file:line, secrets redacted."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from kcrashd.cli import main
from kcrashd.config.settings import TOML_POSITION, Config
from tests.daemon.conftest import KCRASHD
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
        ("[sources]\nno_such_setting = 1\n", 2, "unknown setting"),
        # unknown keys in arrays of tables and nested tables: the line of the key itself
        ('[[alerts.targets]]\nname = "a"\ntype = "webhook"\nurl = "http://a.example/"\n'
         '[[alerts.targets]]\nname = "b"\ntype = "slack"\nurl_ref = "env:X"\ncolour = "red"\n',
         9, ":9: alerts.targets.1.slack.colour: unknown setting"),
        ("[alerts]\nenabled = true\n[alerts.policy]\ncooldown_hour = 1\n", 4, ":4: alerts.policy.cooldown_hour: unknown"),
        ('[[alerts.targets]]\nname = "a"\ntype = "alertmanager"\nurls = ["http://a/"]\n'
         '[alerts.targets.extra_labels]\nteam = "x"\n[alerts.retry]\nbatchs = 3\n', 8, ":8: alerts.retry.batchs: unknown"),
        ("[sources\npoll = true\n", 1, ":1: Expected ']'"),  # TOML syntax: tomllib names the line
        # regressions, quiet periods, ticket thresholds (issue 15)
        ('[[alerts.targets]]\nname = "rm"\ntype = "redmine"\nurl = "http://rm.example/"\nproject = "k"\n'
         'fingerprint_field_id = 7\napi_key_ref = "env:K"\non_regression = "later"\n', 8,
         ":8: alerts.targets.0.redmine.on_regression: Input should be 'reopen' or 'new'"),
        ('[[alerts.targets]]\nname = "gh"\ntype = "github"\nrepository = "o/r"\ntoken_ref = "env:T"\nmin_hosts = 0\n',
         6, ":6: alerts.targets.0.github.min_hosts: Input should be greater than or equal to 1"),
        ('[[alerts.targets]]\nname = "gh"\ntype = "github"\nrepository = "o/r"\ntoken_ref = "env:T"\n'
         'min_crashes = "two"\n', 6, ":6: alerts.targets.0.github.min_crashes: Input should be a valid integer"),
        ("[alerts.policy]\nquiet_days = -1\n", 2, ":2: alerts.policy.quiet_days: Input should be greater than or equal to 0"),
    ],
)  # fmt: skip
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
    (etc / "credentials").mkdir()  # where the unit loads credential: references from
    (etc / "credentials/webhook-secret").write_text("whsec_c2VjcmV0c2VjcmV0")
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


# --- hostile input (issue 12 item 8, issue 14 item 12) ----------------------------------------

VERBS = [  # every verb that reads the configuration, with the arguments it needs
    ("check-config",), ("run",), ("scan",), ("list",), ("info", "0123"), ("doctor",),
    ("notify-test", "wh"), ("resend", "0123"),
]  # fmt: skip


@pytest.mark.parametrize("verb", VERBS, ids=[v[0] for v in VERBS])
def test_a_non_utf8_byte_is_refused_with_file_and_line_by_every_verb(
    etc: Path, verb: tuple[str, ...]
) -> None:
    bad = etc / "kcrashd.d/50-latin1.toml"
    bad.write_bytes(b"[sources]\n# r\xe9pertoire des dumps\nsettle_seconds = 1.0\n")
    result = subprocess.run(
        [str(KCRASHD), verb[0], *verb[1:], "--config", str(etc / "kcrashd.toml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode in (1, 2), result.stderr
    assert f"{bad}:2: not UTF-8 text (byte 0xe9 at column 4)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["not a url", "ftp://", "htp:/", "http://", "https://host:99999/x"])
def test_an_invalid_url_is_refused_at_load(etc: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    bad = etc / "kcrashd.d/50-hook.toml"
    bad.write_text(f'[[alerts.targets]]\nname = "ok"\ntype = "webhook"\nurl = "https://ok.example/h"\n\n'
                   f'[[alerts.targets]]\nname = "ops"\ntype = "webhook"\nurl = "{url}"\n')  # fmt: skip
    code, out, err = check(capsys, "--config", str(etc / "kcrashd.toml"))
    assert (code, out) == (1, "")
    assert err.startswith(f"kcrashd: {bad}:9: alerts.targets.1.webhook.url: not ")
    assert "URL" in err


def target_with(ref: str) -> str:
    return f'[[alerts.targets]]\nname = "ops"\ntype = "webhook"\nurl = "https://h.example/"\nsecret_ref = "{ref}"\n'


def test_check_config_resolves_secret_references(
    etc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    dropin = etc / "kcrashd.d/50-ops.toml"
    secret = tmp_path / "whsec"
    dropin.write_text(target_with(f"file:{secret}"))
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 1
    assert (
        err
        == f"kcrashd: {dropin}:5: alerts.targets.0.secret_ref: file:{secret}: cannot read: No such file or directory\n"
    )
    secret.write_text("whsec_c2VjcmV0c2VjcmV0")
    secret.chmod(0o644)
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 1 and "chmod 0600" in err and "c2VjcmV0c2VjcmV0" not in err
    secret.chmod(0o600)
    assert check(capsys, "--config", str(etc / "kcrashd.toml"), "-q") == (0, "", "")
    # credential: is looked for where the unit loads it from, beside the configuration
    dropin.write_text(target_with("credential:whsec"))
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 1 and f"no file {etc / 'credentials/whsec'}" in err
    (etc / "credentials").mkdir()
    (etc / "credentials/whsec").write_text("whsec_c2VjcmV0c2VjcmV0")
    assert check(capsys, "--config", str(etc / "kcrashd.toml"), "-q") == (0, "", "")
    # env: is the service's environment, not this shell's: a warning only
    monkeypatch.delenv("KCRASHD_TEST_UNSET", raising=False)
    dropin.write_text(target_with("env:KCRASHD_TEST_UNSET"))
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 0 and err.startswith(f"kcrashd: warning: {dropin}:5: alerts.targets.0.secret_ref: env:")


def test_check_config_checks_that_a_url_reference_holds_a_url(
    etc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = tmp_path / "slack.url"
    held.write_text("xoxb-not-a-url")
    held.chmod(0o600)
    (etc / "kcrashd.d/50-slack.toml").write_text(
        f'[[alerts.targets]]\nname = "s"\ntype = "slack"\nurl_ref = "file:{held}"\n'
    )
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 1 and "not an http:// or https:// URL" in err and "xoxb" not in err
    held.write_text("https://hooks.slack.com/services/T0/B0/XXXX")
    assert check(capsys, "--config", str(etc / "kcrashd.toml"), "-q") == (0, "", "")
    # the same for a credential, read where the unit loads it from
    (etc / "credentials").mkdir()
    (etc / "credentials/slack").write_text("xoxb-not-a-url")
    (etc / "kcrashd.d/50-slack.toml").write_text('[[alerts.targets]]\nname = "s"\ntype = "slack"\nurl_ref = "credential:slack"\n')
    code, _, err = check(capsys, "--config", str(etc / "kcrashd.toml"), "-q")
    assert code == 1 and "credential:slack: holds something that is not an http" in err and "xoxb" not in err


def test_a_syntax_error_without_a_line_names_the_file() -> None:
    """The negative sample of TOML_POSITION: tomllib names no line at the end of the document."""
    assert TOML_POSITION.search("Invalid value (at end of document)") is None
    found = TOML_POSITION.search("Expected ']' at the end of a table declaration (at line 12, column 9)")
    assert found is not None and found.group(1) == "12"
