"""etc/kcrashd/kcrashd.toml: equal to the built-in defaults and naming every setting; a bad file
sent to the running daemon (SIGHUP) is refused and the old settings kept."""

from __future__ import annotations

import re
import signal
import time
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kcrashd.config.settings import Config, load_config
from tests.alerting.hostile import start_daemon, write_config
from tests.daemon.conftest import DaemonProcess
from tests.packaging.conftest import REPO

SHIPPED = REPO / "etc/kcrashd/kcrashd.toml"


def model_class(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds directly (a nested table), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def list_of_models(annotation: Any) -> bool:
    """list[Model] or list[Annotated[A | B, ...]]: written as [[table]] entries."""
    if typing.get_origin(annotation) is not list:
        return False
    (item,) = typing.get_args(annotation)
    if typing.get_origin(item) is typing.Annotated:
        item = typing.get_args(item)[0]
    members = typing.get_args(item) if typing.get_origin(item) in (typing.Union, types.UnionType) else (item,)
    return all(model_class(m) is not None for m in members)


def missing_settings(model: type[BaseModel], table: dict[str, Any], text: str, prefix: str) -> list[str]:
    """Every field of the model, recursively, that the file does not name."""
    missing: list[str] = []
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        nested = model_class(field.annotation)
        if nested is not None:
            if not isinstance(table.get(name), dict):
                missing.append(f"[{dotted}]")
            else:
                missing.extend(missing_settings(nested, table[name], text, dotted + "."))
        elif list_of_models(field.annotation):
            # none by default: a commented example table shows the shape
            if name not in table and not re.search(rf"^#\s*\[\[{re.escape(dotted)}\]\]", text, re.M):
                missing.append(f"[[{dotted}]]")
        elif name not in table and not (field.default is None and re.search(rf"^#\s*{re.escape(name)}\s*=", text, re.M)):
            # a setting that is unset by default (TOML has no null) is shown as a commented example
            missing.append(dotted)
    return missing


def unknown_keys(model: type[BaseModel], table: dict[str, Any], prefix: str = "") -> list[str]:
    extra = [f"{prefix}{k}" for k in table if k not in model.model_fields]
    for name, field in model.model_fields.items():
        nested = model_class(field.annotation)
        if nested is not None and isinstance(table.get(name), dict):
            extra.extend(unknown_keys(nested, table[name], f"{prefix}{name}."))
    return extra


def test_shipped_file_equals_defaults() -> None:
    data = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    assert Config.model_validate(data) == Config()
    assert load_config(SHIPPED) == Config()


def test_shipped_file_names_every_setting() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert missing_settings(Config, data, text, "") == []
    assert unknown_keys(Config, data) == []


def test_every_setting_has_a_comment() -> None:
    """Each key line follows a comment line or another key of the same commented group."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Za-z_]+\s*=", line):
            before = number - 1
            while before >= 0 and re.match(r"^[A-Za-z_]+\s*=", lines[before]):
                before -= 1
            assert before >= 0 and lines[before].startswith("#"), f"line {number + 1}: {line}"


def test_the_walk_finds_a_missing_setting() -> None:
    """The check above can fail: drop one nested key and it is reported."""
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    del data["sources"]["settle_seconds"]
    assert missing_settings(Config, data, text, "") == ["sources.settle_seconds"]


def wait_for(proc: DaemonProcess, text: str, count: int = 1, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while proc.output().count(text) < count and time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            return False
        time.sleep(0.05)
    return proc.output().count(text) >= count


def test_a_bad_reload_keeps_the_running_daemon_and_its_configuration(tmp_path: Path) -> None:
    """SIGHUP with a non-UTF-8 byte, then a bad URL: each refused with file:line, the daemon runs on."""
    targets = [{"name": "ops", "type": "webhook", "url": "http://127.0.0.1:9/hook"}]
    config = write_config(tmp_path, targets)
    good = config.read_bytes()
    proc = start_daemon(config, tmp_path / "daemon.log")
    try:
        config.write_bytes(good.replace(b"[daemon]", b"# \xff\n[daemon]"))
        line = good[: good.index(b"[daemon]")].count(b"\n") + 1
        proc.proc.send_signal(signal.SIGHUP)
        assert wait_for(proc, "configuration NOT reloaded"), proc.output()
        assert f"{config}:{line}: not UTF-8 text (byte 0xff" in proc.output()
        config.write_bytes(good.replace(b"http://127.0.0.1:9/hook", b"htp:/"))
        proc.proc.send_signal(signal.SIGHUP)
        assert wait_for(proc, "configuration NOT reloaded", 2), proc.output()
        assert "alerts.targets.0.webhook.url: not an http:// or https:// URL" in proc.output()
        assert proc.proc.poll() is None
        config.write_bytes(good)
        proc.proc.send_signal(signal.SIGHUP)
        assert wait_for(proc, "configuration reloaded"), proc.output()
        assert "Traceback" not in proc.output()
    finally:
        code = proc.stop()
    assert code == 0, proc.output()
