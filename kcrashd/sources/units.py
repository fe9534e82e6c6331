"""Where crash logs come from and when a dump is finished (docs/dump-layouts.md).

A *crash unit* is one dump folder (kdump, kdump-tools, SUSE) or one pstore record (a folder with
`dmesg.txt`, or a flat `dmesg-ramoops-N` file). Nothing here moves, modifies or follows a
symlink: a unit is opened once and every file of it, the vmcore included, is listed and opened
relative to that descriptor (kcrashd.sources.folder), so a folder swapped for a symlink while it is read
is still the folder that was opened.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from kcrashd.config.settings import SourcesConfig
from kcrashd.sources.folder import DumpFolder, open_below, stat_kind
from kcrashd.sources.repeats import REPEATS

log = logging.getLogger(__name__)


class Layout(StrEnum):
    """Which producer wrote a crash unit, and in which era."""

    RHEL = "rhel-kdump"
    RHEL_LEGACY = "rhel-kdump-legacy"
    RHEL_RAW = "rhel-kdump-raw"
    RHEL_TEST = "rhel-kdump-test"
    CHIMERA = "chimera-kdump"
    DEBIAN = "debian-kdump-tools"
    SUSE = "suse-kdump"
    SUSE_LEGACY = "suse-kdumptool"
    PSTORE = "systemd-pstore"
    PSTORE_FLAT = "systemd-pstore-flat"


# Which `[sources]` switch enables a layout.
LAYOUT_SOURCE = {
    Layout.RHEL: "kdump",
    Layout.RHEL_LEGACY: "kdump",
    Layout.RHEL_RAW: "kdump",
    Layout.RHEL_TEST: "kdump",
    Layout.CHIMERA: "kdump",
    Layout.DEBIAN: "kdump_tools",
    Layout.SUSE: "suse",
    Layout.SUSE_LEGACY: "suse",
    Layout.PSTORE: "pstore",
    Layout.PSTORE_FLAT: "pstore",
}

# Folder names, always anchored at the right: IPv6 addresses, dates and host names all hold
# dashes or colons (docs/dump-layouts.md §1). Order matters: the first match wins.
NAME_PATTERNS: tuple[tuple[re.Pattern[str], Layout, str], ...] = (
    (re.compile(r"^kdump-test-(?P<date>\d+)-\d+$"), Layout.RHEL_TEST, "epoch"),
    (re.compile(r"^(?P<host>.+)-(?P<date>\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d)$"), Layout.RHEL, "%Y-%m-%d-%H:%M:%S"),
    (re.compile(r"^(?P<host>.+)-(?P<date>\d{4}\.\d\d\.\d\d-\d\d:\d\d:\d\d)$"), Layout.RHEL_LEGACY, "%Y.%m.%d-%H:%M:%S"),
    (re.compile(r"^(?P<date>\d\d\.\d\d\.\d\d-\d\d:\d\d:\d\d)$"), Layout.RHEL_LEGACY, "%d.%m.%y-%H:%M:%S"),
    (re.compile(r"^kdump-(?P<date>\d{8}-\d{6})$"), Layout.CHIMERA, "%Y%m%d-%H%M%S"),
    # RHEL raw targets and RHEL 5 fallback, or SUSE kdumptool (told apart by content)
    (re.compile(r"^(?:(?P<host>.+)-)?(?P<date>\d{4}-\d\d-\d\d-\d\d:\d\d)$"), Layout.SUSE_LEGACY, "%Y-%m-%d-%H:%M"),
    (re.compile(r"^(?:(?P<host>.+)-)?(?P<date>\d{4}-\d\d-\d\d-\d\d-\d\d)$"), Layout.SUSE, "%Y-%m-%d-%H-%M"),
    (re.compile(r"^(?:(?P<host>.+)-)?(?P<date>\d{12})$"), Layout.DEBIAN, "%Y%m%d%H%M"),
)

IGNORED_NAMES = {"kdump_lock", "kexec_cmd", ".notified", "lost+found"}
LOCAL_HOST_HINTS = {"127.0.0.1", "::1", "localhost", "unknown", ""}
PSTORE_FLAT = re.compile(r"^dmesg-[a-z_]+-\d+$")


@dataclass(frozen=True)
class CrashUnit:
    """One crash as found on disk, before looking inside."""

    path: Path
    layout: Layout
    root: Path
    host_hint: str | None = None
    name_time: datetime | None = None
    test: bool = False
    # (st_dev, st_ino) the scan saw, checked once the folder is open; None: found by an event
    seen: tuple[int, int] | None = field(default=None, compare=False)

    @property
    def source(self) -> str:
        return LAYOUT_SOURCE[self.layout]


@dataclass(frozen=True)
class FileInfo:
    name: str
    size: int
    mtime: float
    ino: int
    mtime_ns: int = 0


@dataclass
class DumpState:
    """What a crash unit holds right now and what that means for completeness."""

    unit: CrashUnit
    dev: int = 0
    ino: int = 0
    files: dict[str, FileInfo] = field(default_factory=dict)
    log: FileInfo | None = None
    log_final: bool = False
    log_degraded: bool = False
    vmcore: FileInfo | None = None
    vmcore_final: bool = False
    vmcore_partial: FileInfo | None = None
    done: bool = False
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    newest_mtime: float = 0.0
    layout: Layout | None = None
    folder: DumpFolder | None = None  # open while the pipeline handles the unit
    refused: dict[str, str] = field(default_factory=dict)  # name -> kind, for entries not regular files
    log_refused: str | None = None  # "<name> is a <kind>" when the log is not a regular file
    unreadable: str | None = None  # why the folder itself cannot be opened or listed

    @property
    def log_path(self) -> Path | None:
        return None if self.log is None else self.unit.path / self.log.name if self.is_dir else self.unit.path

    @property
    def vmcore_path(self) -> Path | None:
        chosen = self.vmcore or self.vmcore_partial
        return None if chosen is None else self.unit.path / chosen.name

    @property
    def is_dir(self) -> bool:
        return self.unit.layout is not Layout.PSTORE_FLAT


@dataclass(frozen=True)
class Readiness:
    """The verdict on a unit: process now (maybe degraded), or look again at `retry_at`."""

    ready: bool
    incomplete: bool = False
    retry_at: float | None = None
    reason: str = ""


def parse_name_time(text: str, fmt: str) -> datetime | None:
    """The folder's time stamp as an aware local time (capture clocks are local, docs/dump-layouts.md §1)."""
    try:
        if fmt == "epoch":
            return datetime.fromtimestamp(int(text), UTC)
        return datetime.strptime(text, fmt).astimezone()
    except (ValueError, OverflowError, OSError):
        return None


def classify_name(name: str, root: Path) -> CrashUnit | None:
    """A dump folder's layout from its name alone, or None when it is not one."""
    if name in IGNORED_NAMES or name.startswith(".") or name.endswith(".crash"):
        return None
    for pattern, layout, fmt in NAME_PATTERNS:
        match = pattern.match(name)
        if match is None:
            continue
        groups = match.groupdict()
        host = groups.get("host")
        return CrashUnit(
            path=root / name,
            layout=layout,
            root=root,
            host_hint=None if host in LOCAL_HOST_HINTS or host is None else host,
            name_time=parse_name_time(groups["date"], fmt),
            test=layout is Layout.RHEL_TEST,
        )
    return None


def enabled(unit: CrashUnit, config: SourcesConfig) -> bool:
    if unit.layout is Layout.SUSE_LEGACY:  # the name is shared with RHEL raw targets
        return config.suse or config.kdump
    return bool(getattr(config, unit.source))


def is_plain_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def seen_by_scan(entry: os.DirEntry[str], dev: int) -> tuple[int, int]:
    """(st_dev, st_ino) of a listed directory entry: its inode as listed (no stat call, no object
    kept per folder) on the dump path's device. A mount point lists the inode under it: the check
    then falls back to a fresh look (open_folder)."""
    return dev, entry.inode()


def device_of(root: Path) -> int:
    try:
        return os.stat(root).st_dev
    except OSError:
        return -1


def skip_symlink(path: str) -> None:
    REPEATS.warn(log, path, "symlink", "skipping %s: symbolic link (never followed)", safe(path))


def listed(root: Path, what: str, *, absent_ok: bool = False) -> list[os.DirEntry[str]]:
    """The entries of `root` in name order, symlinks left out with one log line each; none, with one
    warning (none at all for a missing root when `absent_ok`), when it cannot be listed."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        if not (absent_ok and exc.errno == errno.ENOENT):
            REPEATS.warn(log, str(root), "list", "cannot list %s %s: %s", what, root, exc.strerror or exc)
        return []
    kept = []
    for entry in entries:
        if entry.is_symlink():
            skip_symlink(entry.path)
        else:
            kept.append(entry)
    return kept


def scan_dump_root(root: Path, config: SourcesConfig) -> Iterator[CrashUnit]:
    """Dump folders directly under a dump path; symlinks and strangers are skipped with one log
    line each (not one per rescan)."""
    entries = listed(root, "dump path")
    if not entries:
        return
    dev = device_of(root)
    for entry in entries:
        unit = classify_name(entry.name, root)
        if unit is None:
            if entry.is_dir(follow_symlinks=False) and entry.name not in IGNORED_NAMES:
                REPEATS.warn(
                    log, entry.path, "name", "skipping %s: not a crash dump folder name", safe(entry.path),
                    level=logging.INFO,
                )  # fmt: skip
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        if enabled(unit, config):
            yield replace(unit, seen=seen_by_scan(entry, dev))


def scan_pstore(root: Path) -> Iterator[CrashUnit]:
    """systemd-pstore's archive: `<epoch>/<count>/dmesg.txt`, `<id>/dmesg.txt`, flat ramoops files."""
    entries = listed(root, "pstore archive", absent_ok=True)
    if not entries:
        return
    dev = device_of(root)
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and PSTORE_FLAT.match(entry.name):
            yield CrashUnit(path=Path(entry.path), layout=Layout.PSTORE_FLAT, root=root, seen=seen_by_scan(entry, dev))
        elif entry.is_dir(follow_symlinks=False):
            top = Path(entry.path)
            if os.path.lexists(top / "dmesg.txt"):
                yield replace(pstore_unit(top, root), seen=seen_by_scan(entry, dev))
            try:
                subs = sorted(os.scandir(top), key=lambda sub: sub.name)
            except OSError:
                continue
            for sub in subs:
                if sub.is_dir(follow_symlinks=False) and os.path.lexists(Path(sub.path) / "dmesg.txt"):
                    yield replace(pstore_unit(Path(sub.path), root), seen=seen_by_scan(sub, dev))


def pstore_unit(path: Path, root: Path) -> CrashUnit:
    """EFI records live in `<epoch>/<count>/`: the epoch is the crash time."""
    name_time = None
    rel = path.relative_to(root).parts
    if len(rel) == 2 and rel[0].isdigit() and len(rel[0]) == 10:
        name_time = parse_name_time(rel[0], "epoch")
    return CrashUnit(path=path, layout=Layout.PSTORE, root=root, name_time=name_time)


def scan_all(config: SourcesConfig) -> Iterator[CrashUnit]:
    """Every crash unit under every configured root."""
    for root in config.dump_paths:
        yield from scan_dump_root(root, config)
    if config.pstore:
        yield from scan_pstore(config.pstore_path)


def unit_for_path(path: Path, config: SourcesConfig) -> CrashUnit | None:
    """The crash unit a file-system event under one of the roots belongs to."""
    if config.pstore:
        rel = relative(path, config.pstore_path)
        if rel:
            if len(rel) == 1 and PSTORE_FLAT.match(rel[0]):
                return CrashUnit(path=config.pstore_path / rel[0], layout=Layout.PSTORE_FLAT, root=config.pstore_path)
            depth = len(rel) - 1 if not is_plain_dir(path) else len(rel)
            for size in range(min(depth, 2), 0, -1):
                candidate = config.pstore_path.joinpath(*rel[:size])
                if os.path.lexists(candidate / "dmesg.txt") or (size == depth and rel[-1] == "dmesg.txt"):
                    return pstore_unit(candidate, config.pstore_path)
            return None
    for root in config.dump_paths:
        rel = relative(path, root)
        if rel:
            unit = classify_name(rel[0], root)
            if unit is not None and enabled(unit, config):
                return unit
            return None
    return None


def relative(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return ()


def safe(text: str) -> str:
    """A path for a log line: control characters spelled out."""
    return text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text


# --- looking inside -------------------------------------------------------------------------


def open_folder(unit: CrashUnit) -> DumpFolder:
    """The unit's folder, opened and checked against what the scan listed (kcrashd.sources.folder)."""
    return open_below(unit.root, unit.path, single_file=unit.layout is Layout.PSTORE_FLAT, seen=unit.seen)


def unreadable_state(unit: CrashUnit, exc: OSError) -> DumpState:
    """A folder that exists but cannot be opened or listed: its identity from its name."""
    st = os.lstat(unit.path)
    reason = exc.strerror or str(exc)
    return DumpState(unit=unit, dev=st.st_dev, ino=st.st_ino, unreadable=reason, newest_mtime=st.st_mtime)


def list_folder(folder: DumpFolder) -> tuple[dict[str, FileInfo], dict[str, tuple[str, float]], list[str]]:
    """(regular files, other entries as name -> (kind, mtime), notes) of an open unit."""
    files: dict[str, FileInfo] = {}
    others: dict[str, tuple[str, float]] = {}
    notes: list[str] = []
    for name, est in folder.entries():
        if stat.S_ISREG(est.st_mode):
            files[name] = FileInfo(name, est.st_size, est.st_mtime, est.st_ino, est.st_mtime_ns)
            continue
        others[name] = (stat_kind(est.st_mode), est.st_mtime)
        if stat.S_ISLNK(est.st_mode):
            notes.append(f"symbolic link {safe(name)} ignored")
    return files, others, notes


SUSE_FINAL = b"Kernel crashdump"


def inspect_unit(unit: CrashUnit, folder: DumpFolder) -> DumpState:
    """List an open unit and decide which file is its log, which its vmcore, and whether it is done."""
    files, others, notes = list_folder(folder)
    state = DumpState(unit=unit, dev=folder.dev, ino=folder.ino, files=files, notes=notes, folder=folder)
    state.refused = {name: kind for name, (kind, _) in others.items()}
    mtimes = [f.mtime for f in files.values()] + [mtime for _, mtime in others.values()]
    state.newest_mtime = max(mtimes, default=folder.mtime)  # an empty folder: since it was made
    layout = unit.layout
    if layout is Layout.SUSE_LEGACY and "dmesg.txt" not in files and "README.txt" not in files:
        layout = Layout.RHEL_RAW
    state.layout = layout
    if layout in (Layout.RHEL, Layout.RHEL_LEGACY, Layout.RHEL_TEST, Layout.RHEL_RAW):
        inspect_rhel(state)
    elif layout is Layout.CHIMERA:
        pick(state, final_logs=["dmesg.txt"], partial_logs=["dmesg.txt.tmp"])
        pick_vmcore(state, final=["vmcore"], partial=["vmcore.tmp"])
        state.done = state.vmcore_final
        state.log_final = state.log is not None and not state.log_degraded
    elif layout is Layout.DEBIAN:
        inspect_debian(state)
    elif layout is Layout.SUSE:
        inspect_suse(state)
    elif layout is Layout.SUSE_LEGACY:
        pick(state, final_logs=["dmesg.txt"], partial_logs=[])
        vmcores = sorted(n for n in files if re.fullmatch(r"vmcore\d*", n))
        pick_vmcore(state, final=vmcores, partial=[])
        state.done = "README.txt" in files
        state.log_final = state.log is not None and (state.done or state.vmcore is not None)
    elif layout is Layout.PSTORE:
        pick(state, final_logs=["dmesg.txt"], partial_logs=[])
    else:  # PSTORE_FLAT: the file is the log
        pick(state, final_logs=[unit.path.name], partial_logs=[])
    return state


def pick(state: DumpState, *, final_logs: list[str], partial_logs: list[str]) -> None:
    """The log, best name first; a log name held by a symlink, FIFO, device or folder is refused
    (`log_refused`), so the unit ends in a "cannot read" entry instead of waiting for ever."""
    for name in final_logs:
        if name in state.files:
            state.log = state.files[name]
            return
    for name in partial_logs:
        if name in state.files:
            state.log = state.files[name]
            state.log_degraded = True
            return
    refused = next((name for name in (*final_logs, *partial_logs) if name in state.refused), None)
    if refused is not None:
        state.log_refused = f"{safe(refused)} is a {state.refused[refused]}"


def pick_vmcore(state: DumpState, *, final: list[str], partial: list[str]) -> None:
    for name in final:
        if name in state.files:
            state.vmcore = state.files[name]
            state.vmcore_final = True
            break
    for name in partial:
        if name in state.files:
            state.vmcore_partial = state.files[name]
            break
    for name in (*final, *partial):
        kind = state.refused.get(name)
        if kind is not None and kind != "symbolic link":  # a symlink has its note already
            state.notes.append(f"{safe(name)} is a {kind}: not read")


def inspect_rhel(state: DumpState) -> None:
    """vmcore-dmesg(-incomplete).txt, then vmcore(-incomplete) or vmcore.flat (docs/dump-layouts.md §2)."""
    pick(state, final_logs=["vmcore-dmesg.txt"], partial_logs=["vmcore-dmesg-incomplete.txt"])
    pick_vmcore(state, final=["vmcore", "vmcore.flat"], partial=["vmcore-incomplete"])
    state.log_final = state.log is not None and not state.log_degraded
    state.done = state.vmcore_final
    if state.unit.layout is Layout.RHEL_TEST:
        status = state.folder.read_small("vmcore-creation.status", 512) if state.folder else b""
        if status.startswith(b"success"):
            state.done = True
        elif status.startswith(b"fail") and state.vmcore_final:
            state.failed.append("kdump test reported failure")


DEBIAN_DUMP = re.compile(r"^dump\.\d{12}(\.(gz|bz2|xz|lz4))?$")


def inspect_debian(state: DumpState) -> None:
    """dmesg.<STAMP> is written in place; dump-incomplete[.ext] becomes dump.<STAMP>
    (docs/dump-layouts.md §3)."""
    names = sorted(state.files)
    logs = [n for n in sorted({*names, *state.refused}) if re.fullmatch(r"dmesg\.\d{12}", n)]
    pick(state, final_logs=logs, partial_logs=[])
    finals = [n for n in names if DEBIAN_DUMP.match(n) or re.fullmatch(r"vmcore\.\d{12}", n)]
    partials = [n for n in names if n.startswith("dump-incomplete") or n == "vmcore-incomplete"]
    pick_vmcore(state, final=finals, partial=partials)
    state.done = state.vmcore_final
    # since kdump-tools 1.8 the dmesg is saved before the vmcore is started
    state.log_final = state.log is not None and (state.vmcore_final or state.vmcore_partial is not None)
    if state.log is not None and state.log.size == 0:
        state.failed.append("empty dmesg file (makedumpfile --dump-dmesg failed)")


def inspect_suse(state: DumpState) -> None:
    """README.txt provisional, then dmesg, vmcore, README.txt rewritten with statuses
    (docs/dump-layouts.md §4)."""
    pick(state, final_logs=["dmesg"], partial_logs=[])
    pick_vmcore(state, final=["vmcore"], partial=[])
    readme = state.folder.read_small("README.txt") if state.folder and "README.txt" in state.files else b""
    if readme.startswith(SUSE_FINAL):
        state.done = True
        for line in readme.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("dmesg status", "vmcore status") and "saved successfully" not in value:
                state.failed.append(f"{key.strip()}: {value.strip()}")
    else:
        # written under its final name while streaming: only the README says it is finished
        state.vmcore_final = False
        if state.vmcore is not None:
            state.vmcore_partial, state.vmcore = state.vmcore, None
    state.log_final = state.log is not None and (state.done or state.vmcore_partial is not None)


def judge(state: DumpState, now: float, settle: float, timeout: float) -> Readiness:
    """When to process: as soon as the log is final; after `settle` quiet seconds for logs written
    in place; after `timeout` quiet seconds with whatever exists (then marked incomplete)."""
    quiet = now - state.newest_mtime
    if state.unreadable is not None or (state.log is None and state.log_refused is not None):
        return judge_unreadable(state, quiet, timeout)
    if state.log is not None and state.log_final:
        return Readiness(True)
    if state.log is not None and not state.log_degraded:
        if quiet >= settle:
            return Readiness(True)
        return Readiness(False, retry_at=state.newest_mtime + settle, reason="log still being written")
    if state.log is not None:  # degraded name (e.g. vmcore-dmesg-incomplete.txt)
        if state.done or quiet >= timeout:
            return Readiness(True, incomplete=True, reason="log extraction did not finish")
        return Readiness(False, retry_at=state.newest_mtime + timeout, reason="waiting for the final log name")
    if state.vmcore_final and state.done:
        return Readiness(True, incomplete=False, reason="no log file: the log comes from the vmcore")
    if not state.files and not state.refused:  # a capture that never wrote anything, or not yet
        if quiet >= timeout:
            return Readiness(True, incomplete=True, reason="dump never finished: empty folder")
        return Readiness(False, retry_at=state.newest_mtime + timeout, reason="empty folder")
    if quiet >= timeout:
        return Readiness(True, incomplete=True, reason="dump never finished")
    return Readiness(False, retry_at=state.newest_mtime + timeout, reason="dump in progress")


def judge_unreadable(state: DumpState, quiet: float, timeout: float) -> Readiness:
    """A log that is not a regular file never becomes one: process at once, as "cannot read". A
    folder that cannot be opened may be relabelled (SELinux) or fixed: wait `timeout` quiet seconds."""
    if state.unreadable is None:
        return Readiness(True, incomplete=True, reason=f"cannot read: {state.log_refused}")
    reason = f"cannot read: {state.unreadable}"
    if quiet >= timeout:
        return Readiness(True, incomplete=True, reason=reason)
    return Readiness(False, retry_at=state.newest_mtime + timeout, reason=reason)


def vmcore_state(state: DumpState, now: float, timeout: float) -> str:
    """complete / in-progress / failed / absent, from names and quiet time (header flags come later)."""
    if state.vmcore is not None and state.vmcore_final:
        return "complete"
    if state.vmcore_partial is not None:
        if state.done or now - state.vmcore_partial.mtime >= timeout:
            return "failed"
        return "in-progress"
    return "absent"
