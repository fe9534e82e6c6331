"""Running one QEMU guest with a hard timeout, reading its serial console live.

At most two guests run at once on this machine (two cores): every run holds
one of two flock()ed slot files under the lab cache, whichever process
started it. Each guest runs in its own process group and is killed with it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .errors import LabUnavailable
from .kernels import ARCHES, HOST_ARCH, ArchProfile

MAX_GUESTS = 2
QEMU = ARCHES[HOST_ARCH].qemu
KVM_PROBE_TIMEOUT = 12.0

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


@dataclass(frozen=True)
class Accel:
    """A QEMU accelerator and the CPU model that works with it here."""

    name: str
    cpu: str


TCG = Accel("tcg", "max,-la57")
KVM = Accel("kvm", "host")


@dataclass(frozen=True)
class Share:
    """A host folder exported to the guest over virtio 9p."""

    tag: str
    path: Path
    readonly: bool = False


@dataclass(frozen=True)
class VmConfig:
    kernel: Path
    initrd: Path | None
    cmdline: str
    mem: str = "1G"
    cpus: int = 1
    shares: tuple[Share, ...] = ()
    timeout: float = 180.0
    profile: ArchProfile = ARCHES[HOST_ARCH]


@dataclass
class VmRun:
    """What a guest printed (host seconds since start, raw line) and how it ended."""

    lines: list[tuple[float, bytes]] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    accel: str = ""
    duration: float = 0.0
    stderr: str = ""

    def text(self) -> str:
        return "".join(line.decode("utf-8", "replace") for _, line in self.lines)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)


@atexit.register
def _kill_all() -> None:
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill(proc)


def stop_all_guests(signum: int = 0, _frame: object = None) -> None:
    """Kill running guests and refuse new ones; as a signal handler, then exit."""
    _stopping.set()
    _kill_all()
    if signum:
        raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """SIGTERM/SIGINT/SIGHUP take the guests down with this process."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop_all_guests)


@contextlib.contextmanager
def guest_slot(cache: Path) -> Iterator[int]:
    """Hold one of MAX_GUESTS machine-wide slots while a guest runs.

    Waiters queue on a gate lock (blocking flock), and only the gate's holder looks for a free
    slot: a process that just freed a slot cannot take it again ahead of those already waiting.
    """
    slots = cache / "vm-slots"
    slots.mkdir(parents=True, exist_ok=True)
    with open(slots / "gate.lock", "w") as gate:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            handle, index = _take_free_slot(slots)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
    try:
        yield index
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _take_free_slot(slots: Path) -> tuple[IO[str], int]:
    while True:
        for index in range(MAX_GUESTS):
            handle = open(slots / f"{index}.lock", "w")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle, index
        time.sleep(0.2)


def qemu_argv(cfg: VmConfig, accel: Accel) -> list[str]:
    argv = [
        cfg.profile.qemu, *cfg.profile.machine, "-accel", accel.name, "-cpu", accel.cpu,
        "-m", cfg.mem, "-smp", str(cfg.cpus),
        "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot", "-nic", "none",
        "-kernel", str(cfg.kernel), "-append", cfg.cmdline,
    ]  # fmt: skip
    if cfg.initrd is not None:
        argv += ["-initrd", str(cfg.initrd)]
    for share in cfg.shares:
        opts = f"local,path={share.path},mount_tag={share.tag},security_model=none"
        argv += ["-virtfs", opts + (",readonly=on" if share.readonly else "")]
    return argv


def run_vm(
    cfg: VmConfig,
    accel: Accel,
    cache: Path,
    on_line: Callable[[float, bytes], bool] | None = None,
) -> VmRun:
    """Boot a guest until it powers off, on_line returns True, or the timeout hits."""
    if not shutil.which(cfg.profile.qemu):
        raise LabUnavailable(f"{cfg.profile.qemu} not found (apt-get install {cfg.profile.qemu_package})")
    result = VmRun(accel=accel.name)
    with guest_slot(cache):
        if _stopping.is_set():
            raise LabUnavailable("the lab is shutting down")
        start = time.monotonic()
        proc = subprocess.Popen(
            qemu_argv(cfg, accel),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with _live_lock:
            _live.add(proc)
        stop = threading.Event()
        line_stop = threading.Event()
        err_chunks: list[bytes] = []

        def read_out() -> None:
            assert proc.stdout
            for raw in iter(proc.stdout.readline, b""):
                line = raw.replace(b"\r", b"")
                now = time.monotonic() - start
                result.lines.append((now, line))
                if on_line is not None and on_line(now, line):
                    line_stop.set()
                    stop.set()
            stop.set()

        def read_err() -> None:
            assert proc.stderr
            err_chunks.append(proc.stderr.read())

        readers = [threading.Thread(target=read_out, daemon=True),
                   threading.Thread(target=read_err, daemon=True)]  # fmt: skip
        for reader in readers:
            reader.start()
        try:
            if not stop.wait(cfg.timeout):
                result.timed_out = True
            elif not line_stop.is_set():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
        finally:
            _kill(proc)
            for reader in readers:
                reader.join(5)
            with _live_lock:
                _live.discard(proc)
        result.returncode = proc.returncode
        result.duration = time.monotonic() - start
        result.stderr = b"".join(err_chunks).decode("utf-8", "replace")
    return result


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def select_accel(
    vmlinuz: Path, cache: Path, log: Callable[[str], None] = print, profile: ArchProfile = ARCHES[HOST_ARCH]
) -> Accel:
    """KVM when a short probe boot works, else TCG; remembered per host boot.

    KCRASHD_LAB_ACCEL=tcg|kvm forces the choice. Guests of another
    architecture always run under TCG.
    """
    if profile.name != HOST_ARCH:
        return Accel("tcg", profile.tcg_cpu)
    forced = os.environ.get("KCRASHD_LAB_ACCEL", "").lower()
    if forced in ("tcg", "kvm"):
        return TCG if forced == "tcg" else KVM
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return TCG
    memo = cache / "accel.json"
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(memo.read_text())
        if data.get("boot_id") == _boot_id():
            return KVM if data.get("accel") == "kvm" else TCG
    cfg = VmConfig(
        kernel=vmlinuz,
        initrd=None,
        cmdline="console=ttyS0,115200 panic=-1 root=/dev/lab-none",
        mem="512M",
        timeout=KVM_PROBE_TIMEOUT,
    )
    run = run_vm(cfg, KVM, cache, on_line=lambda _t, line: b"Kernel panic" in line)
    works = b"Unable to mount root fs" in run.text().encode()
    log(f"KVM probe: {'works' if works else 'unusable'} ({run.duration:.1f}s); "
        f"using {'kvm' if works else 'tcg'}")  # fmt: skip
    cache.mkdir(parents=True, exist_ok=True)
    memo.write_text(json.dumps({"boot_id": _boot_id(), "accel": "kvm" if works else "tcg"}))
    return KVM if works else TCG
