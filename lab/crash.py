"""One crash: boot the kernel, arm kdump, trigger the kind, collect what it left.

The first boot's serial output becomes ``console.log``; the capture kernel
writes the dump directory straight into the caller's folder over 9p, with
kdump's incomplete names first and the final names after each step.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .build import Ingredients, Log, cache_root
from .kinds import Kind, trigger_codes
from .lkdtm import prepare_lkdtm
from .vm import Accel, Share, VmConfig, VmRun, run_vm, select_accel

LAYOUTS = ("rhel", "debian")
BASE_CMDLINE = "console={console},115200 printk.time=1 panic=-1 oops=panic"
CAPTURE_CMDLINE = (
    "console={console},115200 loglevel=7 printk.time=1 panic=-1 oops=panic "
    "irqpoll nr_cpus=1 reset_devices lab_capture"
)
KDUMP_MAGIC = b"KDUMP   "
FLAT_MAGIC = b"makedumpfile"
INIT_CHATTER = b"lab-init: "
LINUX_VERSION = re.compile(rb"\] Linux version \d")
GENERIC_CRASH = re.compile(
    rb"Kernel panic - not syncing|\] BUG: |\] Oops|\] general protection fault|"
    rb"\] divide error|\] WARNING: CPU|\] WARNING: [\w.-]+:\d+ at |soft lockup - CPU|\] INFO: task .* blocked|"
    rb"stack guard page was hit|list_(?:add|del) corruption|refcount_t: |kernel BUG at"
)
PRINTK_TIME = re.compile(rb"^\[\s*(\d+\.\d+)\]")
NEVER_CAPTURED = "kdump was armed but the crashed kernel never started the capture kernel: console log only"


@dataclass(frozen=True)
class RunSettings:
    """Guest size, timing and boot profile; runs of one kind differing here must share a fingerprint.

    ``profile`` names a boot setup other than the lab's plain one: its ``sysctls`` are set by
    /init before the kind's own, its ``cmdline`` goes to the crashing kernel only.
    """

    mem: str = "1G"
    cpus: int = 1
    delay: float = 1.0
    profile: str = "plain"
    sysctls: tuple[str, ...] = ()
    cmdline: str = "loglevel=8"
    busy: int = 0  # busy loops /init starts before the trigger, one per CPU


# run3 ("smp") boots the way a production fleet or another team's lab commonly does: 4 vCPUs,
# every CPU's backtrace on a soft lockup or hung task (kernel/watchdog.c, kernel/hung_task.c,
# lib/nmi_backtrace.c), task and memory info after the panic (kernel/panic.c
# panic_print_sys_info: 0x1 show_state(), 0x2 show_mem()), the panic notifiers run before
# kdump (crash_kexec_post_notifiers, so that dump is in the saved log), and the console log
# level left at the kernel's default (Debian's CONFIG_CONSOLE_LOGLEVEL_DEFAULT=7).
SMP_PROFILE = RunSettings(
    mem="1G",
    cpus=4,
    delay=2.0,
    profile="smp",
    sysctls=(
        "kernel.softlockup_all_cpu_backtrace=1",
        "kernel.hung_task_all_cpu_backtrace=1",
        "kernel.panic_print=0x3",
    ),
    cmdline="crash_kexec_post_notifiers",
)

# run4 ("busy") is the smp profile on a loaded machine: before the trigger /init starts one busy
# loop per CPU, alternately a shell loop (user mode) and dd from /dev/zero to /dev/null (mostly in
# the kernel: read_iter_zero, clear_user), so that the other CPUs' backtraces (NMI backtraces,
# show_state()) show running tasks instead of idle CPUs.
BUSY_PROFILE = dataclasses.replace(SMP_PROFILE, profile="busy", busy=SMP_PROFILE.cpus)

VARIANTS: tuple[RunSettings, ...] = (
    RunSettings(mem="768M", cpus=1, delay=1.0),
    RunSettings(mem="1G", cpus=2, delay=3.0),
    SMP_PROFILE,
    BUSY_PROFILE,
)
PAIR = 2  # run1 and run2: the pair every kind of every kernel has; run3 and run4 on request


@dataclass
class CrashResult:
    """What one crash run produced, and whether it was the crash asked for."""

    kind: str
    expected_class: str
    expected_function: str
    kernel: str
    release: str
    package_version: str
    arch: str
    accel: str
    settings: RunSettings
    layout: str
    kdump: bool
    dump_dir: Path | None
    console_log: Path
    capture_log: Path | None
    serial_log: Path
    dmesg: Path | None
    vmcore: Path | None
    timings: dict[str, float | None] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    reproduced: bool = False
    culprit_in_trace: bool = False
    dump_complete: bool = False
    notes: list[str] = field(default_factory=list)

    def manifest_entry(self, base: Path | None = None) -> dict[str, Any]:
        """A JSON-ready record; paths relative to base when given."""

        def rel(path: Path | None) -> str | None:
            if path is None:
                return None
            if base is not None:
                try:
                    return str(path.relative_to(base))
                except ValueError:
                    pass
            return str(path)

        entry = asdict(self)
        for key in ("dump_dir", "console_log", "capture_log", "serial_log", "dmesg", "vmcore"):
            entry[key] = rel(getattr(self, key))
        return entry


def _conf(values: Mapping[str, object]) -> str:
    return "".join(f"{key}={shlex.quote(str(value))}\n" for key, value in values.items())


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def _split_boots(lines: list[tuple[float, bytes]]) -> tuple[int, int | None]:
    """(index where the crashed kernel starts, index where the capture kernel starts)."""
    starts = [i for i, (_, line) in enumerate(lines) if LINUX_VERSION.search(line)]
    first = starts[0] if starts else 0
    return first, (starts[1] if len(starts) > 1 else None)


def _crash_line(lines: list[tuple[float, bytes]], headline_text: str) -> tuple[float, bytes] | None:
    headline = re.compile(headline_text.encode())
    for pattern in (headline, GENERIC_CRASH):
        for stamp, line in lines:
            if pattern.search(line):
                return stamp, line
    return None


def _find_dump(root: Path, before: set[str], layout: str) -> Path | None:
    if not root.is_dir():
        return None
    pattern = re.compile(r"^127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d$" if layout == "rhel"
                         else r"^\d{12}$")  # fmt: skip
    new = [p for p in root.iterdir() if p.name not in before and pattern.match(p.name)]
    return max(new, key=lambda p: p.name) if new else None


def _mentions(text: str, kind: Kind, release: str, arch: str = "amd64") -> tuple[bool, bool]:
    """Whether the log has the kind's headline, and its culprit in a trace or RIP line."""
    head = re.search(kind.headline_for(arch), text) is not None
    culprit = re.escape(kind.culprit_for(release))
    func = re.search(rf"\b{culprit}(?:\.\w+)*\+0x", text) is not None
    return head, func


def run_crash(
    ing: Ingredients,
    kind: Kind,
    out_dir: Path,
    logs_dir: Path,
    settings: RunSettings = RunSettings(),
    layout: str = "rhel",
    vmcore: bool = True,
    dmesg: bool = True,
    kdump: bool = True,
    dump_path: str = "",
    accel: Accel | None = None,
    log: Log = print,
) -> CrashResult:
    """Crash one guest; out_dir/dump_path is the guest's kdump path (/var/crash)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    if settings.cpus < kind.min_cpus:
        settings = dataclasses.replace(settings, cpus=kind.min_cpus)
    cache = cache_root()
    profile = ing.spec.profile
    accel = accel or select_accel(ing.vmlinuz, cache, log, profile)
    kdump = kdump and kind.dump_possible and (vmcore or dmesg) and not ing.spec.no_kdump
    out_dir.mkdir(parents=True, exist_ok=True)
    logs_dir.mkdir(parents=True, exist_ok=True)
    dump_root = out_dir / dump_path
    dump_root.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in dump_root.iterdir()}

    (cache / "runs").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="share-", dir=cache / "runs") as share_tmp:
        share_in = Path(share_tmp)
        _link_or_copy(ing.vmlinuz, share_in / "vmlinuz")
        _link_or_copy(ing.initrd, share_in / "initrd.img")
        if kind.lkdtm_type:  # built (and cached) only when an LKDTM kind is crashed
            _link_or_copy(prepare_lkdtm(ing, log), share_in / "lkdtm.ko")
        settings_conf: dict[str, object] = {
            "LAB_ACTION": "module" if kind.module else "lkdtm" if kind.lkdtm_type else kind.action,
            "LAB_TRIGGER": trigger_codes()[kind.trigger] if kind.module else "",
            "LAB_SYSCTLS": " ".join((*settings.sysctls, *kind.sysctls)),
            "LAB_MODULE": int(kind.module),
            "LAB_BACKGROUND": int(kind.background),
            "LAB_EXIT_CODE": kind.exit_code,
            "LAB_DELAY": f"{settings.delay:g}",
            "LAB_BUSY": settings.busy,
            "LAB_KDUMP": int(kdump),
            "LAB_LAYOUT": layout,
            "LAB_VMCORE": int(vmcore),
            "LAB_DMESG": int(dmesg),
            "LAB_DUMP_PATH": dump_path,
            "LAB_CAPTURE_CMDLINE": CAPTURE_CMDLINE.format(console=profile.console),
        }
        if kind.lkdtm_type:
            settings_conf["LAB_LKDTM_TYPE"] = kind.lkdtm_type
            settings_conf["LAB_LKDTM_WRITES"] = kind.lkdtm_writes
        (share_in / "lab.conf").write_text(_conf(settings_conf))
        cmdline = BASE_CMDLINE.format(console=profile.console)
        if settings.cmdline:
            cmdline += f" {settings.cmdline}"
        if kdump:
            cmdline += f" crashkernel={ing.spec.crashkernel}"
        if extra := kind.cmdline_for(ing.release):
            cmdline += f" {extra}"
        cfg = VmConfig(
            kernel=ing.vmlinuz,
            initrd=ing.initrd if kind.initramfs else None,
            cmdline=cmdline,
            mem=settings.mem,
            cpus=settings.cpus,
            shares=(Share("labin", share_in, readonly=True), Share("labout", out_dir)),
            timeout=kind.timeout,
            profile=profile,
        )
        run = run_vm(cfg, accel, cache)
    return _collect(ing, kind, run, settings, layout, kdump, dump_root, before, logs_dir, accel)


def _collect(
    ing: Ingredients,
    kind: Kind,
    run: VmRun,
    settings: RunSettings,
    layout: str,
    kdump: bool,
    dump_root: Path,
    before: set[str],
    logs_dir: Path,
    accel: Accel,
) -> CrashResult:
    first, capture = _split_boots(run.lines)
    crashed = run.lines[first:capture]
    serial_log = logs_dir / "serial.log"
    serial_log.write_bytes(b"".join(line for _, line in run.lines))
    console_log = logs_dir / "console.log"
    console_log.write_bytes(b"".join(line for _, line in crashed if not line.startswith(INIT_CHATTER)))
    capture_log = None
    if capture is not None:
        capture_log = logs_dir / "capture-console.log"
        capture_log.write_bytes(b"".join(line for _, line in run.lines[capture:]))

    dump_dir = _find_dump(dump_root, before, layout) if kdump else None
    dmesg_file = vmcore_file = None
    if dump_dir is not None:
        names = ("vmcore-dmesg.txt", "vmcore") if layout == "rhel" else (
            f"dmesg.{dump_dir.name}", f"dump.{dump_dir.name}")  # fmt: skip
        dmesg_file = dump_dir / names[0] if (dump_dir / names[0]).exists() else None
        vmcore_file = dump_dir / names[1] if (dump_dir / names[1]).exists() else None

    result = CrashResult(
        kind=kind.name,
        expected_class=kind.cls_for(ing.release),
        expected_function=kind.culprit_for(ing.release),
        kernel=ing.spec.id,
        release=ing.release,
        package_version=ing.version,
        arch=ing.spec.arch,
        accel=accel.name,
        settings=settings,
        layout=layout,
        kdump=kdump,
        dump_dir=dump_dir,
        console_log=console_log,
        capture_log=capture_log,
        serial_log=serial_log,
        dmesg=dmesg_file,
        vmcore=vmcore_file,
    )
    headline = kind.headline_for(ing.spec.arch)
    crash = _crash_line(crashed, headline)
    uptime = PRINTK_TIME.match(crash[1]) if crash else None
    if crash is None and capture is not None:
        crash = run.lines[capture]
        result.notes.append("no crash line on the console; timed at the capture kernel's start")
        if dmesg_file is not None:
            saved = [(0.0, line) for line in dmesg_file.read_bytes().splitlines()]
            found = _crash_line(saved, headline)
            uptime = PRINTK_TIME.match(found[1]) if found else None
    panic_at = crash[0] if crash else None
    result.timings = {
        "boot_to_panic_s": round(panic_at, 2) if panic_at is not None else None,
        "panic_uptime_s": float(uptime.group(1)) if uptime else None,
        "capture_boot_s": round(run.lines[capture][0], 2) if capture is not None else None,
        "capture_s": round(run.duration - panic_at, 2)
        if kdump and panic_at is not None and dump_dir is not None
        else None,
        "total_s": round(run.duration, 2),
    }
    result.sizes = {
        "console_log": console_log.stat().st_size,
        "vmcore_dmesg": dmesg_file.stat().st_size if dmesg_file else 0,
        "vmcore": vmcore_file.stat().st_size if vmcore_file else 0,
    }
    if run.timed_out:
        result.notes.append(f"guest killed after the {kind.timeout:.0f}s timeout")
    if kdump and capture is None:
        result.notes.append(NEVER_CAPTURED)
    if vmcore_file is not None:
        with vmcore_file.open("rb") as handle:
            magic = handle.read(16)
        result.dump_complete = magic.startswith(KDUMP_MAGIC if layout == "rhel" else FLAT_MAGIC)
    text = (dmesg_file or console_log).read_text(encoding="utf-8", errors="replace")
    head, func = _mentions(text, kind, ing.release, ing.spec.arch)
    result.reproduced = head
    result.culprit_in_trace = func
    if ing.spec.no_kdump and kind.dump_possible:
        result.notes.append(f"console only on {ing.spec.id}: {ing.spec.no_kdump}")
    if not head:
        result.notes.append(f"expected headline /{headline}/ not found")
    if head and not func:
        result.notes.append(f"{result.expected_function} not named in the stack trace")
    if kind.notes:
        result.notes.append(kind.notes)
    return result
