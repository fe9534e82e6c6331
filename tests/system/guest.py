"""The capstone's Debian 12 guest: a real systemd, a real kdump, kcrashd as the package lays it out.

Root: mmdebstrap of the nspawn test's package list (tests/packaging/nspawn_image.py: same suite,
mirrors and cache folder) plus tests/system/guest-packages.txt (the kernel, kexec-tools, udev, ...),
cached as ~/.cache/kcrashd-tests/qemu-guest-bookworm-<hash>/ until either list or the guest files
change. Its initramfs holds just the modules that mount the root (virtio, ext4), so the capture
kernel fits in crashkernel=256M.

Per run: an overlayfs over the cached root (tests/packaging/nspawn.py `Root`), kcrashd installed
from a wheelhouse built on the host (`build_wheelhouse`, the nspawn test's recipe), the guest's
units and scripts from tests/system/guest/, then `mkfs.ext4 -d` turns it into a raw disk image.
Each boot is one QEMU run on that disk (`-no-reboot`: a reboot ends the run), holding one of the
crash lab's two machine-wide guest slots.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lab.build import cache_root as lab_cache
from lab.vm import QEMU, Accel, guest_slot
from tests.packaging import nspawn_image
from tests.packaging.nspawn import Root

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GUEST_FILES = HERE / "guest"
PACKAGES_FILE = HERE / "guest-packages.txt"
UNIT = "kcrashd.service"
GUEST_PORT = 8080  # 10.0.2.100:8080 in the guest (50-system-test.toml)
# Modules the initramfs loads to mount the root (MODULES=list keeps it small for the capture kernel)
INITRAMFS_MODULES = (
    "virtio_pci",
    "virtio_blk",
    "crc32c_generic",
    "crc32c_intel",
    "crc16",
    "ext4",
    "9pnet_virtio",
    "9p",
)
# Module trees a headless virtio guest never loads: a smaller image, a faster mkfs
EXCLUDE = (
    "gpu",
    "media",
    "net/wireless",
    "net/ethernet",
    "infiniband",
    "staging",
    "bluetooth",
    "iio",
    "isdn",
)


def package_list() -> list[str]:
    words = set(nspawn_image.package_list())
    for line in PACKAGES_FILE.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return sorted(words)


def image_path() -> Path:
    key = "\n".join(
        [nspawn_image.SUITE, *nspawn_image.MIRRORS, *package_list(), *INITRAMFS_MODULES, *EXCLUDE]
    )
    return (
        nspawn_image.cache_root()
        / f"qemu-guest-{nspawn_image.SUITE}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    )


def build_image(log: Path) -> Path:
    """The cached guest root (built once, about a minute with a nearby mirror)."""
    dest = image_path()
    if (dest / nspawn_image.STAMP).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    modules = "\\n".join(INITRAMFS_MODULES)
    setup = (
        'mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d" && '
        'printf "MODULES=list\\nCOMPRESS=gzip\\n" > "$1/etc/initramfs-tools/conf.d/kcrashd-test" && '
        f'printf "{modules}\\n" > "$1/usr/share/initramfs-tools/modules.d/kcrashd-test"'
    )
    customize = 'if [ -f "$1/etc/default/kexec" ]; then sed -i "s/^LOAD_KEXEC=.*/LOAD_KEXEC=false/" "$1/etc/default/kexec"; fi'
    excludes = [f"--dpkgopt=path-exclude=/lib/modules/*/kernel/drivers/{sub}/*" for sub in EXCLUDE]
    excludes += [
        "--dpkgopt=path-exclude=/lib/modules/*/kernel/sound/*",
        "--dpkgopt=path-exclude=/lib/firmware/*",
    ]
    command = [
        "mmdebstrap",
        "--variant=minbase",
        "--include=" + ",".join(package_list()),
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        *excludes,
        f"--setup-hook={setup}",
        f"--customize-hook={customize}",
        nspawn_image.SUITE,
        str(partial),
        *nspawn_image.MIRRORS,
    ]
    started = time.monotonic()
    with log.open("wb") as out:
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT)
    (partial / "etc/machine-id").write_text("")
    (partial / nspawn_image.STAMP).write_text(f"built in {time.monotonic() - started:.0f} s\n")
    partial.rename(dest)
    return dest


def kernel_of(root: Path) -> tuple[Path, Path]:
    """(vmlinuz, initrd.img) of the root's only kernel."""
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise FileNotFoundError(f"no kernel in {root / 'boot'}")
    release = kernels[-1].name.removeprefix("vmlinuz-")
    return kernels[-1], root / "boot" / f"initrd.img-{release}"


def install_kcrashd(root: Root, wheelhouse: Path, hostname: str) -> None:
    """kcrashd as the package lays it out (the nspawn test's steps), plus the guest's test units."""
    path = root.path
    root.run("python3", "-m", "venv", "/usr/lib/kcrashd")
    root.run(
        "/usr/lib/kcrashd/bin/pip", "install", "-q", "--no-index", "--find-links", "/wheelhouse",
        "--disable-pip-version-check", "kcrashd", binds=[(wheelhouse, "/wheelhouse")],
    )  # fmt: skip
    (path / "usr/bin/kcrashd").symlink_to("../lib/kcrashd/bin/kcrashd")
    root.install(REPO / "systemd/kcrashd.service", f"/usr/lib/systemd/system/{UNIT}")
    root.install(REPO / "systemd/kcrashd.tmpfiles", "/usr/lib/tmpfiles.d/kcrashd.conf")
    root.install(REPO / "systemd/kcrashd.catalog", "/usr/lib/systemd/catalog/kcrashd.catalog")
    root.install(REPO / "etc/kcrashd/kcrashd.toml", "/etc/kcrashd/kcrashd.toml")
    root.install(GUEST_FILES / "50-system-test.toml", "/etc/kcrashd/kcrashd.d/50-system-test.toml")
    root.run("journalctl", "--update-catalog")
    for script in ("kdump-load", "kdump-save", "kcrashd-test"):
        root.install(GUEST_FILES / script, f"/usr/local/sbin/{script}", mode=0o755)
    units = ("kdump-load.service", "kcrashd-test-crash.service", "kcrashd-test-collect.service")
    for unit in units:
        root.install(GUEST_FILES / unit, f"/etc/systemd/system/{unit}")
    root.install(GUEST_FILES / "50-dhcp.network", "/etc/systemd/network/50-dhcp.network")
    # systemctl enable, as an admin would (and as a kdump package does for its loader)
    root.run("systemctl", "enable", UNIT, "systemd-networkd.service", *units)
    (path / "etc/hostname").write_text(f"{hostname}\n")
    (path / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n")
    (path / "etc/fstab").write_text("/dev/vda / ext4 rw,errors=remount-ro 0 1\n")
    # a fixed machine id: the journal of each boot lands in the same /var/log/journal/<id>/
    (path / "etc/machine-id").write_text(secrets.token_hex(16) + "\n")
    (path / "var/log/journal").mkdir(parents=True, exist_ok=True)  # persistent journal
    crash = path / "var/crash"
    crash.mkdir(mode=0o700, exist_ok=True)
    crash.chmod(0o700)


def make_disk(root: Path, disk: Path, size: str = "3G") -> None:
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", "kcrashd-guest", "-d", str(root), str(disk), size],
        check=True, capture_output=True,
    )  # fmt: skip


def send_monitor(path: Path, command: str) -> None:
    """One command to QEMU's human monitor on its unix socket: after its prompt, and held open until
    the next prompt or QEMU's exit (a command whose connection closes at once may be dropped unread)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        prompt(sock)  # the banner and the first prompt
        sock.sendall(command.encode() + b"\n")
        with contextlib.suppress(OSError):
            prompt(sock)  # or the end: a reset with -no-reboot ends the run


def prompt(sock: socket.socket) -> None:
    """Read up to the monitor's next `(qemu) ` prompt, or its end."""
    seen = b""
    while not seen.endswith(b"(qemu) "):
        chunk = sock.recv(4096)
        if not chunk:
            return
        seen += chunk


@dataclass
class Boot:
    """One QEMU run: the serial console (host seconds since start, line) and how it ended."""

    name: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    duration: float = 0.0
    waited: float = 0.0

    def text(self) -> str:
        return "".join(line for _, line in self.lines)

    def first(self, needle: str) -> float | None:
        return next((t for t, line in self.lines if needle in line), None)


def relay_command(port: int) -> str:
    """A per-connection relay QEMU spawns for each guest connection to 10.0.2.100:8080 (guestfwd
    cmd:). A `tcp:` chardev would be one connection for QEMU's lifetime: enough for one request
    only, while the outbox may retry and the HTTP client may open several connections."""
    return f"cmd:{shutil.which('python3') or 'python3'} {HERE / 'relay.py'} {port}"


def read_console(
    proc: subprocess.Popen[bytes], run: Boot, log: TextIO, start: float, monitor: Path, pending: dict[str, str]
) -> None:
    """The guest's serial console, line by line, into `run` and the log; a line holding a needle of
    `pending` sends its monitor command (once)."""
    assert proc.stdout is not None
    for raw in iter(proc.stdout.readline, b""):
        line = raw.replace(b"\r", b"").decode("utf-8", "replace")
        run.lines.append((time.monotonic() - start, line))
        log.write(f"[{time.monotonic() - start:7.2f}] {line}")
        log.flush()
        for needle in [n for n in pending if n in line]:
            log.write(f"[{time.monotonic() - start:7.2f}] (host) monitor: {pending[needle]}\n")
            log.flush()
            send_monitor(monitor, pending.pop(needle))


def qemu_argv(disk: Path, results: Path, receiver_port: int, accel: Accel, mem: str) -> list[str]:
    """The machine: one CPU, the disk, user networking with the receiver's relay, the results share."""
    return [
        QEMU, "-accel", accel.name, "-cpu", accel.cpu, "-m", mem, "-smp", "1",
        "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
        "-drive", f"file={disk},format=raw,if=virtio,cache=unsafe",
        "-nic", f"user,model=virtio-net-pci,restrict=on,guestfwd=tcp:10.0.2.100:{GUEST_PORT}-{relay_command(receiver_port)}",
        "-virtfs", f"local,path={results},mount_tag=results,security_model=none",
    ]  # fmt: skip


def boot(
    name: str,
    disk: Path,
    kernel: Path,
    initrd: Path,
    append: str,
    results: Path,
    receiver_port: int,
    accel: Accel,
    console: Path,
    timeout: float,
    mem: str = "1G",
    devices: Sequence[str] = (),
    monitor_on: Mapping[str, str] | None = None,
) -> Boot:
    """Boot the disk once; returns when the guest powers off or reboots (or at the timeout).
    `devices`: more QEMU arguments (a watchdog device and its action). `monitor_on`: console text ->
    a QEMU monitor command sent the first time the guest prints that text (`system_reset`: a reset
    from outside the guest, as a power button or a BMC would do)."""
    results.mkdir(parents=True, exist_ok=True)
    monitor = console.with_suffix(".monitor")
    argv = [*qemu_argv(disk, results, receiver_port, accel, mem), "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", append, *devices]  # fmt: skip
    if monitor_on:
        monitor.unlink(missing_ok=True)
        argv += ["-monitor", f"unix:{monitor},server=on,wait=off"]
    pending = dict(monitor_on or {})
    run = Boot(name)
    asked = time.monotonic()
    with guest_slot(lab_cache()), console.open("w") as log:
        run.waited = time.monotonic() - asked
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        reader = threading.Thread(
            target=read_console, args=(proc, run, log, start, monitor, pending), name=f"console-{name}", daemon=True
        )
        reader.start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            run.timed_out = True
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if proc.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
            reader.join(5)
        run.returncode = proc.returncode
        run.duration = time.monotonic() - start
    return run
