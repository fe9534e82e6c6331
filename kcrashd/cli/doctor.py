"""`kcrashd doctor`: would a kernel crash on this host be caught?

Each check is a pure function of a `Host` (a root directory, a command runner and a free-space
probe, all replaceable), so the checks run against fake roots in tests. A check that finds a
crash would be lost is a FAIL and makes the exit code non-zero; WARN is a risk to know about.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath

from kcrashd.config.settings import Config

MIB = 1024 * 1024
MIN_FREE = 64 * MIB  # below this even a filtered dump (makedumpfile -d 31) is unlikely to fit
CREDENTIALS_DIR = PurePosixPath("/etc/kcrashd/credentials")  # LoadCredential= in kcrashd.service


class Status(StrEnum):
    OK = "ok"
    INFO = "info"
    SKIP = "skip"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One check's verdict, with what to do about it."""

    check: str
    status: Status
    summary: str
    hint: str = ""


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


def run_command(argv: Sequence[str]) -> CommandResult | None:
    """Run a command with a timeout; None when it does not exist or hangs."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return CommandResult(done.returncode, done.stdout, done.stderr)


def disk_free(path: Path) -> int | None:
    """Free bytes of the file system holding path (kdump writes as root: reserved blocks count)."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bfree * st.f_frsize


@dataclass
class Host:
    """What the checks look at; tests replace each part."""

    root: Path = Path("/")
    run: Callable[[Sequence[str]], CommandResult | None] = run_command
    free_bytes: Callable[[Path], int | None] = disk_free
    systemd_units: tuple[str, ...] = field(default=("kdump.service", "kdump-tools.service"))

    def path(self, absolute: str | PurePosixPath) -> Path:
        return self.root / str(absolute).lstrip("/")

    def read(self, absolute: str | PurePosixPath) -> str | None:
        try:
            return self.path(absolute).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None


# ---------------------------------------------------------------- small parsers


def parse_shell_vars(text: str) -> dict[str, str]:
    """KEY=value lines of a shell-style defaults file (/etc/default/kdump-tools, /etc/sysconfig/kdump)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        key = key.removeprefix("export ").strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            continue
        try:
            words = shlex.split(raw, comments=True)
        except ValueError:
            words = [raw]
        values[key] = " ".join(words)
    return values


def parse_kdump_conf(text: str) -> list[tuple[str, str]]:
    """(directive, argument) pairs of /etc/kdump.conf, comments dropped."""
    pairs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            directive, _, argument = line.partition(" ")
            pairs.append((directive, argument.strip()))
    return pairs


def meminfo_bytes(text: str, key: str = "MemTotal") -> int | None:
    found = re.search(rf"^{key}:\s+(\d+)\s*kB", text, re.M)
    return int(found.group(1)) * 1024 if found else None


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def under(child: PurePosixPath, parent: PurePosixPath) -> bool:
    return child == parent or parent in child.parents


# ---------------------------------------------------------------- where kdump writes


@dataclass(frozen=True)
class DumpTarget:
    """Where the installed kdump implementation saves dumps, as its configuration says."""

    tool: str  # "kdump" (RHEL/Fedora), "kdump-tools" (Debian/Ubuntu), "kdump (SUSE)"
    config: str  # the file read
    path: PurePosixPath | None  # local directory on this host, when there is one
    remote: str = ""  # "ssh user@host", "nfs host:/export", ... when dumps leave the host
    note: str = ""


def mount_point(host: Host, device: str) -> PurePosixPath | None:
    """Mount point of a kdump.conf device spec (UUID=, LABEL=, /dev/...), from /proc/self/mounts."""
    if device.startswith(("UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=")):
        kind, _, value = device.partition("=")
        link = host.path(f"/dev/disk/by-{kind.lower()}/{value.strip(chr(34))}")
    else:
        link = host.path(device)
    try:
        wanted = os.path.realpath(link)
    except OSError:
        return None
    for line in (host.read("/proc/self/mounts") or "").splitlines():
        fields = line.split()
        if (
            len(fields) >= 2
            and fields[0].startswith("/")
            and os.path.realpath(host.path(fields[0])) == wanted
        ):
            return PurePosixPath(fields[1].replace("\\040", " "))
    return None


KDUMP_CONF = "/etc/kdump.conf"
KDUMP_TOOLS = "/etc/default/kdump-tools"
SUSE_KDUMP = "/etc/sysconfig/kdump"
LOCAL_FILESYSTEMS = {"xfs", "btrfs", "minix", "virtiofs"}  # and ext*


def kdump_targets(host: Host) -> list[DumpTarget]:
    """Every kdump configuration found on the host, with where it sends dumps."""
    conf = host.read(KDUMP_CONF)
    tools = host.read(KDUMP_TOOLS)
    sysconfig = host.read(SUSE_KDUMP)
    targets: list[DumpTarget] = []
    if conf is not None:
        targets.append(kdump_conf_target(host, conf))
    if tools is not None:
        targets.append(kdump_tools_target(tools))
    if sysconfig is not None and conf is None:  # SUSE keeps everything here; RHEL only options
        targets.append(suse_kdump_target(sysconfig))
    return targets


def kdump_conf_target(host: Host, conf: str) -> DumpTarget:
    """Where /etc/kdump.conf (kexec-tools) sends dumps: its `path` on the root filesystem, a
    remote (ssh, nfs), a raw device copied at the next boot, or a local filesystem's mount."""
    pairs = parse_kdump_conf(conf)
    path = PurePosixPath(next((a for d, a in pairs if d == "path" and a), "/var/crash"))
    target = next(
        ((d, a) for d, a in pairs if d in {"ssh", "nfs", "raw"} or d.startswith("ext") or d in LOCAL_FILESYSTEMS),
        None,
    )
    if target is None:
        return DumpTarget("kdump", KDUMP_CONF, path)
    kind, where = target
    if kind in ("ssh", "nfs"):
        return DumpTarget("kdump", KDUMP_CONF, None, remote=f"{kind} {where}{path}")
    if kind == "raw":
        return DumpTarget("kdump", KDUMP_CONF, path, note=f"raw {where}: kdump.service copies it to {path} at the next boot")
    mounted = mount_point(host, where)
    if mounted is None:
        return DumpTarget("kdump", KDUMP_CONF, None, remote=f"{kind} {where} (not mounted here){path}")
    return DumpTarget("kdump", KDUMP_CONF, mounted / path.relative_to("/"), note=f"{kind} {where}")


def kdump_tools_target(tools: str) -> DumpTarget:
    """Where /etc/default/kdump-tools (Debian, Ubuntu) sends dumps: KDUMP_COREDIR, or SSH or NFS."""
    values = parse_shell_vars(tools)
    remote = values.get("SSH") or values.get("NFS") or ""
    if remote:
        kind = "ssh" if values.get("SSH") else "nfs"
        return DumpTarget("kdump-tools", KDUMP_TOOLS, None, remote=f"{kind} {remote}")
    return DumpTarget("kdump-tools", KDUMP_TOOLS, PurePosixPath(values.get("KDUMP_COREDIR") or "/var/crash"))


def suse_kdump_target(sysconfig: str) -> DumpTarget:
    """Where /etc/sysconfig/kdump (SUSE) sends dumps: KDUMP_SAVEDIR, a local path or file:// URL,
    or a remote URL."""
    savedir = parse_shell_vars(sysconfig).get("KDUMP_SAVEDIR") or "/var/crash"
    savedir = savedir.removeprefix("file://")
    if savedir.startswith("/"):
        return DumpTarget("kdump (SUSE)", SUSE_KDUMP, PurePosixPath(savedir))
    return DumpTarget("kdump (SUSE)", SUSE_KDUMP, None, remote=savedir)


# ---------------------------------------------------------------- the checks


def systemctl(host: Host, *args: str) -> CommandResult | None:
    """systemctl, or None where it cannot talk to a running systemd (containers, chroots)."""
    result = host.run(["systemctl", *args])
    if result is None:
        return None
    trouble = ("Failed to connect to bus", "System has not been booted with systemd", "Host is down")
    if any(t in result.stderr for t in trouble):
        return None
    return result


def check_kdump_service(host: Host) -> Finding:
    name = "kdump service"
    active = systemctl(host, "is-active", *host.systemd_units)
    if active is None:
        return Finding(name, Status.SKIP, "systemctl cannot reach systemd here; service state unknown")
    states = dict(zip(host.systemd_units, active.stdout.split(), strict=False))
    running = [u for u, s in states.items() if s == "active"]
    if not running:
        shown = ", ".join(f"{u} {s}" for u, s in states.items())
        return Finding(
            name,
            Status.FAIL,
            f"no kdump service is active ({shown}): a crash now would leave no dump",
            "RHEL/Fedora: systemctl enable --now kdump; Debian/Ubuntu: systemctl enable --now kdump-tools",
        )
    enabled = systemctl(host, "is-enabled", *running)
    flags = dict(zip(running, (enabled.stdout.split() if enabled else []), strict=False))
    not_enabled = [
        u for u in running if flags.get(u) not in ("enabled", "static", "alias", "indirect", "generated")
    ]
    if not_enabled:
        return Finding(
            name,
            Status.WARN,
            f"{', '.join(running)} active now but not enabled: after the next reboot no dump would be taken",
            f"systemctl enable {' '.join(not_enabled)}",
        )
    return Finding(name, Status.OK, f"{', '.join(running)} active and enabled")


def check_capture_kernel(host: Host) -> Finding:
    name = "capture kernel"
    loaded = host.read("/sys/kernel/kexec_crash_loaded")
    if loaded is None:
        return Finding(
            name,
            Status.FAIL,
            "/sys/kernel/kexec_crash_loaded missing: this kernel cannot load a crash kernel",
        )
    if loaded.strip() != "1":
        return Finding(
            name,
            Status.FAIL,
            "no crash kernel loaded (/sys/kernel/kexec_crash_loaded = 0): a panic now reboots without a dump",
            "start kdump (kdumpctl start / kdump-config load) and read its log for the reason",
        )
    return Finding(name, Status.OK, "crash kernel loaded")


def check_crashkernel(host: Host) -> Finding:
    name = "crashkernel= memory"
    cmdline = host.read("/proc/cmdline") or ""
    option = next((w for w in cmdline.split() if w.startswith("crashkernel=")), None)
    size_text = (host.read("/sys/kernel/kexec_crash_size") or "").strip()
    size = int(size_text) if size_text.isdigit() else 0
    if size > 0:
        return Finding(
            name, Status.OK, f"{human(size)} reserved ({option or 'crashkernel= not on the command line'})"
        )
    if option:
        return Finding(
            name,
            Status.FAIL,
            f"{option} is on the kernel command line but nothing was reserved (too little memory, or an invalid range)",
            "check dmesg for 'crashkernel' and pick a size the machine can spare",
        )
    return Finding(
        name,
        Status.FAIL,
        "no crashkernel= on the kernel command line: no memory for a crash kernel",
        "RHEL/Fedora: kdumpctl reset-crashkernel; Debian: install kdump-tools (adds it in /etc/default/grub.d); then reboot",
    )


def check_free_space(host: Host, config: Config, targets: Iterable[DumpTarget]) -> list[Finding]:
    memory = meminfo_bytes(host.read("/proc/meminfo") or "")
    paths: list[PurePosixPath] = [PurePosixPath(str(p)) for p in config.sources.dump_paths]
    paths += [t.path for t in targets if t.path is not None and t.path not in paths]
    findings = []
    for path in paths:
        name = f"free space {path}"
        probe = host.path(path)
        while not probe.exists() and probe != host.root:  # kdump creates the directory itself
            probe = probe.parent
        free = host.free_bytes(probe)
        missing = probe != host.path(path)
        if free is not None and missing and free >= MIN_FREE:
            holder = PurePosixPath("/") / probe.relative_to(host.root)
            findings.append(
                Finding(
                    name,
                    Status.WARN,
                    f"{path} does not exist; {holder}, where it would be made, has {human(free)} free",
                    f"create {path}, or correct [sources] dump_paths or the kdump path",
                )
            )
        elif free is None:
            findings.append(Finding(name, Status.WARN, f"cannot tell the free space of {path}"))
        elif free < MIN_FREE:
            findings.append(
                Finding(
                    name,
                    Status.FAIL,
                    f"only {human(free)} free: kdump may save no dump at all",
                    f"free space on the file system of {path} or point kdump elsewhere",
                )
            )
        elif memory and free < memory:
            findings.append(
                Finding(
                    name,
                    Status.WARN,
                    f"{human(free)} free for {human(memory)} of memory: filtered dumps (makedumpfile -d 31) "
                    "usually fit, a full one would not",
                )
            )
        else:
            extra = f" (memory {human(memory)})" if memory else ""
            findings.append(Finding(name, Status.OK, f"{human(free)} free{extra}"))
    return findings


def check_pstore(host: Host, config: Config) -> Finding:
    name = "pstore"
    if not config.sources.pstore:
        return Finding(name, Status.SKIP, "pstore source disabled in the configuration")
    if not host.path("/sys/fs/pstore").is_dir():
        return Finding(
            name, Status.INFO, "no /sys/fs/pstore: the kernel has no pstore; kdump is the only source"
        )
    backend = (host.read("/sys/module/pstore/parameters/backend") or "").strip()
    if backend in ("", "(null)"):
        return Finding(
            name, Status.INFO, "pstore file system present but no backend (efi, erst, ramoops) registered"
        )
    storage = parse_systemd_conf(host.read("/etc/systemd/pstore.conf") or "").get("Storage", "external")
    if storage != "external":
        return Finding(
            name,
            Status.WARN,
            f"backend {backend}, but systemd-pstore Storage={storage}: nothing reaches {config.sources.pstore_path}",
            "set Storage=external in /etc/systemd/pstore.conf",
        )
    return Finding(
        name, Status.OK, f"backend {backend}; systemd-pstore archives to {config.sources.pstore_path}"
    )


def parse_systemd_conf(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def check_watched(host: Host, config: Config) -> list[Finding]:
    """Does kcrashd watch any dump path at all, and do the ones it watches exist?"""
    if not config.sources.dump_paths:
        return [
            Finding(
                "kcrashd dump paths",
                Status.FAIL,
                "[sources] dump_paths is empty: kcrashd watches no dump path, so no kdump dump is ever seen",
                'set dump_paths = ["/var/crash"] (or where kdump saves) in [sources]',
            )
        ]
    findings = []
    for path in config.sources.dump_paths:
        if not host.path(PurePosixPath(str(path))).is_dir():
            findings.append(
                Finding(
                    f"kcrashd dump path {path}",
                    Status.WARN,
                    f"{path} does not exist or is not a directory: kcrashd finds nothing there until it is",
                    f"create {path} or correct [sources] dump_paths",
                )
            )
    return findings


def check_dump_paths(config: Config, targets: Sequence[DumpTarget]) -> list[Finding]:
    """Does kcrashd watch the directory kdump really writes to?"""
    watched = [PurePosixPath(str(p)) for p in config.sources.dump_paths]
    if not targets:
        return [
            Finding(
                "kdump dump path",
                Status.WARN,
                "no kdump configuration found (/etc/kdump.conf, /etc/default/kdump-tools, /etc/sysconfig/kdump)",
            )
        ]
    findings = []
    for target in targets:
        name = f"{target.tool} dump path"
        if target.path is None:
            findings.append(
                Finding(
                    name,
                    Status.WARN,
                    f"{target.config} sends dumps off this host ({target.remote}): kcrashd here never sees them",
                    "run kcrashd on the host that receives the dumps",
                )
            )
        elif any(under(target.path, w) for w in watched):
            note = f" ({target.note})" if target.note else ""
            findings.append(
                Finding(
                    name, Status.OK, f"{target.config} saves to {target.path}, which kcrashd watches{note}"
                )
            )
        else:
            findings.append(
                Finding(
                    name,
                    Status.FAIL,
                    f"{target.config} saves to {target.path} but kcrashd watches "
                    + (", ".join(map(str, watched)) or "no dump path"),
                    f"add {target.path} to [sources] dump_paths (and ReadOnlyPaths= of kcrashd.service)",
                )
            )
    return findings


def check_other_tools(host: Host, config: Config) -> list[Finding]:
    """Tools that move or delete dumps before (or after) kcrashd reads them."""
    findings = []
    abrt = host.read("/etc/abrt/plugins/vmcore.conf")
    abrt_unit = any(
        host.path(d + "/abrt-vmcore.service").exists()
        for d in ("/usr/lib/systemd/system", "/etc/systemd/system")
    )
    if abrt is not None or abrt_unit:
        copy = parse_systemd_conf(abrt or "").get("CopyVMcore", "yes").lower()
        if copy in ("no", "false", "0"):
            findings.append(
                Finding(
                    "ABRT",
                    Status.FAIL,
                    "abrt-vmcore moves new dumps out of the dump path (CopyVMcore = no): kcrashd may never see them",
                    "set CopyVMcore = yes in /etc/abrt/plugins/vmcore.conf, or disable abrt-vmcore.service",
                )
            )
        else:
            findings.append(
                Finding(
                    "ABRT",
                    Status.WARN,
                    "abrt-vmcore also processes dumps (copies them): two reports per crash",
                )
            )
    if (
        host.path("/usr/share/apport/kernel_crashdump").exists()
        or host.path("/etc/cron.daily/apport").exists()
    ):
        findings.append(
            Finding(
                "apport",
                Status.WARN,
                "apport is installed: it turns /var/crash/vmcore into .crash reports and its daily job deletes old "
                "files in /var/crash",
            )
        )
    tools = host.read("/etc/default/kdump-tools")
    if tools is not None:
        keep = parse_shell_vars(tools).get("KDUMP_NUM_DUMPS", "")
        if keep.isdigit() and int(keep) > 0:
            findings.append(
                Finding(
                    "kdump-tools rotation",
                    Status.WARN if int(keep) > 1 else Status.FAIL,
                    f"KDUMP_NUM_DUMPS={keep}: kdump-tools deletes all but the newest {keep} dump(s) when it saves one",
                    "kcrashd keeps its own record; raise the number if you also analyse old dumps by hand",
                )
            )
    findings.extend(check_tmpfiles(host, config))
    if not findings:
        findings.append(Finding("other dump handlers", Status.OK, "nothing else moves or deletes dumps"))
    return findings


def check_tmpfiles(host: Host, config: Config) -> list[Finding]:
    """tmpfiles.d lines that age out or remove something under a dump path."""
    watched = [PurePosixPath(str(p)) for p in config.sources.dump_paths]
    findings = []
    for directory in ("/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/lib/tmpfiles.d"):
        folder = host.path(directory)
        confs = sorted(folder.glob("*.conf")) if folder.is_dir() else []
        for conf in confs:
            for line in conf.read_text(errors="replace").splitlines():
                fields = line.split()
                if len(fields) < 2 or line.lstrip().startswith("#"):
                    continue
                if not any(under(PurePosixPath(fields[1]), w) for w in watched):
                    continue
                age = fields[5] if len(fields) > 5 else "-"  # type path mode user group age [argument]
                if age != "-" or fields[0].upper().startswith(("R", "D")):
                    findings.append(
                        Finding(
                            "tmpfiles cleanup",
                            Status.WARN,
                            f"{directory}/{conf.name}: '{line.strip()}' cleans a dump path",
                        )
                    )
    return findings


def check_kcrashd(host: Host) -> list[Finding]:
    """kcrashd itself: starts at boot, and its unit can start (the credentials directory exists)."""
    findings = []
    if not host.path(CREDENTIALS_DIR).is_dir():
        findings.append(
            Finding(
                "kcrashd credentials",
                Status.FAIL,
                f"{CREDENTIALS_DIR} is missing: kcrashd.service fails to start (LoadCredential=)",
                f"install -d -m 0700 {CREDENTIALS_DIR}",
            )
        )
    enabled = systemctl(host, "is-enabled", "kcrashd.service")
    if enabled is None:
        findings.append(Finding("kcrashd service", Status.SKIP, "systemctl cannot reach systemd here"))
    elif enabled.stdout.strip() not in ("enabled", "static", "alias", "indirect"):
        state = enabled.stdout.strip() or "not installed"
        findings.append(
            Finding(
                "kcrashd service",
                Status.FAIL,
                f"kcrashd.service is {state}: dumps are saved but nobody triages them",
                "systemctl enable --now kcrashd",
            )
        )
    else:
        active = systemctl(host, "is-active", "kcrashd.service")
        state = active.stdout.strip() if active else "unknown"
        status = Status.OK if state == "active" else Status.WARN
        findings.append(Finding("kcrashd service", status, f"kcrashd.service enabled, {state}"))
    return findings


_SPAN_PART = re.compile(r"(\d{1,12}(?:\.\d{1,9})?)(us|ms|s|min|h)")
_SPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def parse_timespan(text: str) -> float | None:
    """Seconds of a systemd time span as `systemctl show` prints it (`1min 30s`, `500ms`); None
    for `infinity`, `0` (off) or anything else."""
    total = 0.0
    for part in text.split():
        m = _SPAN_PART.fullmatch(part)
        if m is None:
            return None
        total += float(m.group(1)) * _SPAN_UNITS[m.group(2)]
    return total or None


def check_triage_timeout(host: Host, config: Config) -> list[Finding]:
    """`daemon.triage_timeout` below half of the unit's WatchdogSec= (else the daemon lowers it)."""
    shown = systemctl(host, "show", "kcrashd.service", "-p", "WatchdogUSec", "--value")
    watchdog = parse_timespan(shown.stdout) if shown is not None and shown.returncode == 0 else None
    timeout = config.daemon.triage_timeout
    if watchdog is None or not config.daemon.watchdog:
        return []
    if timeout < watchdog / 2:
        return [Finding("triage timeout", Status.OK, f"triage_timeout {timeout:g} s, WatchdogSec {watchdog:g} s")]
    return [
        Finding(
            "triage timeout",
            Status.WARN,
            f"daemon.triage_timeout = {timeout:g} s is not below half of WatchdogSec={watchdog:g}s: "
            f"the daemon uses {watchdog / 4:g} s instead",
            f"set [daemon] triage_timeout below {watchdog / 2:g}, or raise WatchdogSec in a drop-in",
        )
    ]


def diagnose(host: Host, config: Config) -> list[Finding]:
    """Every check, in the order a crash meets them."""
    targets = kdump_targets(host)
    return [
        check_kdump_service(host),
        check_capture_kernel(host),
        check_crashkernel(host),
        *check_watched(host, config),
        *check_dump_paths(config, targets),
        *check_free_space(host, config, targets),
        check_pstore(host, config),
        *check_other_tools(host, config),
        *check_kcrashd(host),
        *check_triage_timeout(host, config),
    ]


def exit_code(findings: Iterable[Finding]) -> int:
    """1 when a crash would be lost (any FAIL), else 0."""
    return 1 if any(f.status is Status.FAIL for f in findings) else 0


def to_json(findings: Sequence[Finding]) -> dict[str, object]:
    return {"crash_would_be_caught": exit_code(findings) == 0, "findings": [asdict(f) for f in findings]}


def render(findings: Sequence[Finding]) -> str:
    width = max((len(f.check) for f in findings), default=0)
    lines = []
    for f in findings:
        lines.append(f"{f.status.upper():<5} {f.check:<{width}}  {f.summary}")
        if f.hint and f.status in (Status.WARN, Status.FAIL):
            lines.append(f"{'':<5} {'':<{width}}  -> {f.hint}")
    verdict = (
        "a crash now would be caught" if exit_code(findings) == 0 else "a crash now would be LOST or missed"
    )
    lines.append(f"\n{verdict}")
    return "\n".join(lines) + "\n"
