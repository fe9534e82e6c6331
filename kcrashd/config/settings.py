"""Settings, loaded once into frozen models: the main file, then drop-ins in name order.

A bad file is an error that names the file, the line and the reason; kcrashd never runs
half-configured.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from kcrashd.config.alerting import AlertsConfig
from kcrashd.config.tomllines import KeyPath, locate
from kcrashd.core.model import Severity

DEFAULT_CONFIG = Path("/etc/kcrashd/kcrashd.toml")


class SourcesConfig(BaseModel):
    """Where crash dumps appear and which producers' layouts are looked for."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    dump_paths: list[Path] = Field(default_factory=lambda: [Path("/var/crash")])
    kdump: bool = True
    kdump_tools: bool = True
    suse: bool = True
    pstore: bool = True
    pstore_path: Path = Path("/var/lib/systemd/pstore")
    poll: bool = False
    poll_interval: float = Field(default=30.0, gt=0)
    settle_seconds: float = Field(default=2.0, ge=0)
    incomplete_timeout: float = Field(default=600.0, gt=0)
    makedumpfile: str = "makedumpfile"
    makedumpfile_timeout: float = Field(default=120.0, gt=0)
    max_rearrange_bytes: int = Field(default=8 * 2**30, gt=0)


class StateConfig(BaseModel):
    """The state database and how long history is kept."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    state_dir: Path = Path("/var/lib/kcrashd")
    retention_days: int = Field(default=365, ge=1)


class JournalConfig(BaseModel):
    """The journal entries: a token bucket keeps a large backlog well under journald's rate limit
    (RateLimitBurst=10000 per RateLimitIntervalSec=30s per service by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rate_burst: int = Field(default=2000, ge=1)
    rate_interval: float = Field(default=30.0, gt=0)


class DaemonConfig(BaseModel):
    """`kcrashd run`: systemd watchdog, retry pacing and the deadline of one log's triage."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    watchdog: bool = True
    retry_seconds: float = Field(default=60.0, gt=0)
    # Wall-clock seconds a worker may spend on one log; keep it below half of the unit's
    # WatchdogSec (60 s shipped): the daemon lowers a larger value when systemd tells it WatchdogSec.
    triage_timeout: float = Field(default=10.0, gt=0, le=3600)


class MetricsConfig(BaseModel):
    """Prometheus metrics served by the daemon (docs/fleet.md): off unless `listen` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if value:
            listen_address(value)
        return value


def listen_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6]:PORT` as (host, port); ValueError names what is wrong."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, e.g. [::]:9866")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:9866 or [::]:9866")
    return host, int(port)


class GroupingConfig(BaseModel):
    """How crashes are grouped beyond their fingerprint (docs/grouping.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A new fingerprint whose nearest stored crash of another fingerprint scores at least this
    # (0..1) is journaled as "possibly the same bug as FP"; from 0.75 no crash of another bug whose
    # stack differs was the nearest on the development corpora (docs/grouping.md).  1.01: off.
    similar_threshold: float = Field(default=0.75, ge=0, le=1.01)
    # The operator's rule files, `*.toml` read in name order (docs/grouping-rules.md); a relative
    # path is taken from the main configuration file's folder (/etc/kcrashd/grouping.d).
    rules_dir: Path = Path("grouping.d")


class KernelJournalConfig(BaseModel):
    """`[kernel_journal]`: kernel reports read from the journal and unexplained reboots (docs/reboots.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    # a journal directory to read instead of the system journal (tests, a remote host's journal)
    path: Path | None = None
    history_boots: int = Field(default=1, ge=0)
    max_reports_per_boot: int = Field(default=100, ge=0)
    capture_window_minutes: float = Field(default=15.0, ge=0)
    # quiet time after the last kernel line before a burst is cut into reports
    settle_seconds: float = Field(default=2.0, ge=0)
    # a report the machine survived pages only from this severity up (critical, error, warning, info)
    page_min_severity: Severity = Severity.ERROR
    page_unexplained_reboot: bool = True


class Config(BaseModel):
    """Everything kcrashd can be told."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    grouping: GroupingConfig = Field(default_factory=GroupingConfig)
    kernel_journal: KernelJournalConfig = Field(default_factory=KernelJournalConfig)


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file, line and reason."""


def merge_tables(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Later files override earlier ones key by key; tables merge, other values are replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_files(main: Path) -> list[Path]:
    """The main file (if present) followed by `<stem>.d/*.toml` beside it, in name order."""
    files = [main] if main.exists() else []
    dropins = main.with_name(main.stem + ".d")
    if dropins.is_dir():
        files.extend(sorted(p for p in dropins.glob("*.toml") if p.is_file()))
    return files


TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)$")  # how tomllib ends its messages
MAX_ERRORS = 10  # validation errors whose place is named


def locate_setting(main: Path, loc: KeyPath) -> str | None:
    """`file:line` of a setting of the loaded configuration (for checks made after loading)."""
    sources = [(file, file.read_text(encoding="utf-8", errors="replace")) for file in config_files(main)]
    return locate(sources, loc)


def read_toml(file: Path) -> tuple[str, dict[str, Any]]:
    """A configuration file's text and table; ConfigError with file:line for bytes that are not
    UTF-8 and for TOML syntax errors."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
            "configuration files must be UTF-8"
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = TOML_POSITION.search(str(exc))
        raise ConfigError(f"{file}:{where.group(1)}: {exc}" if where else f"{file}: {exc}") from None


def describe(error: ErrorDetails) -> str:
    """A validation error's reason in plain words."""
    if error["type"] == "extra_forbidden":
        return "unknown setting (a typo, or a key in the wrong table?)"
    return str(error["msg"]).removeprefix("Value error, ")


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the main file and its drop-ins, apply command-line overrides, validate."""
    main = path or DEFAULT_CONFIG
    if path is not None and not path.exists():
        raise ConfigError(f"{path}: no such file")
    data: dict[str, Any] = {}
    sources: list[tuple[Path, str]] = []
    for file in config_files(main):
        text, table = read_toml(file)
        sources.append((file, text))
        data = merge_tables(data, table)
    if overrides:
        data = merge_tables(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, sources)) from None


def validation_message(exc: ValidationError, sources: list[tuple[Path, str]]) -> str:
    """One line: `file:line: setting: reason` of the first error, and where the others are."""
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    where = ".".join(str(k) for k in loc)
    at = locate(sources, loc)
    message = f"{at}: {where}: {describe(first)}" if at else f"{where}: {describe(first)}"
    others = [
        " ".join(filter(None, (locate(sources, tuple(e["loc"])), ".".join(map(str, e["loc"])))))
        for e in errors[1:MAX_ERRORS]
    ]
    if others:
        message += f" (and {len(errors) - 1} more: {', '.join(others)})"
    return message
