"""Settings, loaded once into frozen models: the main file, then drop-ins in name order.

A bad file is an error that names the file, the line and the reason; kcrashd never runs
half-configured.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kcrashd.alerting.config import AlertsConfig

DEFAULT_CONFIG = Path("/etc/kcrashd/kcrashd.toml")


class SourcesConfig(BaseModel):
    """Where crash dumps appear and which producers' layouts are looked for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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

    model_config = ConfigDict(frozen=True, extra="forbid")

    state_dir: Path = Path("/var/lib/kcrashd")
    retention_days: int = Field(default=365, ge=1)


class JournalConfig(BaseModel):
    """The journal entries: a token bucket keeps a large backlog well under journald's rate limit
    (RateLimitBurst=10000 per RateLimitIntervalSec=30s per service by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_burst: int = Field(default=2000, ge=1)
    rate_interval: float = Field(default=30.0, gt=0)


class DaemonConfig(BaseModel):
    """`kcrashd run`: systemd watchdog, retry pacing and the deadline of one log's triage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    watchdog: bool = True
    retry_seconds: float = Field(default=60.0, gt=0)
    # Wall-clock seconds a worker may spend on one log; keep it below half of the unit's
    # WatchdogSec (60 s shipped): the daemon lowers a larger value when systemd tells it WatchdogSec.
    triage_timeout: float = Field(default=10.0, gt=0, le=3600)


class Config(BaseModel):
    """Everything kcrashd can be told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)


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


def find_line(path: Path, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line of the key named by a validation error's location."""
    keys = [str(k) for k in loc if isinstance(k, str)]
    if not keys:
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*{re.escape(keys[-1])}\s*=")
    header = re.compile(rf"^\s*\[+\s*{re.escape('.'.join(keys[:-1]))}\s*\]+") if len(keys) > 1 else None
    in_section = header is None
    for number, line in enumerate(lines, 1):
        if header is not None and line.lstrip().startswith("["):
            in_section = bool(header.match(line))
        if in_section and pattern.match(line):
            return number
    return None


def record_origin(
    table: dict[str, Any], file: Path, prefix: tuple[str, ...], origin: dict[tuple[str, ...], Path]
) -> None:
    """Remember which file set each key path, so an error names the file that holds the key."""
    for key, value in table.items():
        origin[(*prefix, key)] = file
        if isinstance(value, dict):
            record_origin(value, file, (*prefix, key), origin)


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the main file and its drop-ins, apply command-line overrides, validate."""
    main = path or DEFAULT_CONFIG
    if path is not None and not path.exists():
        raise ConfigError(f"{path}: no such file")
    data: dict[str, Any] = {}
    origin: dict[tuple[str, ...], Path] = {}  # each key path -> the last file that set it
    for file in config_files(main):
        try:
            with file.open("rb") as stream:
                table = tomllib.load(stream)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: {exc.strerror}") from None
        record_origin(table, file, (), origin)
        data = merge_tables(data, table)
    if overrides:
        data = merge_tables(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        keys = tuple(str(k) for k in loc if isinstance(k, str))
        source = next((origin[keys[:n]] for n in range(len(keys), 0, -1) if keys[:n] in origin), None)
        where = ".".join(str(k) for k in loc)
        if source is None:
            raise ConfigError(f"{where}: {first['msg']}") from None
        line = find_line(source, loc)
        at = f"{source}:{line}" if line else str(source)
        raise ConfigError(f"{at}: {where}: {first['msg']}") from None
