"""Boot a Debian 12 root with real systemd under systemd-nspawn and run commands inside it.

The cached root (nspawn_image.py) is never modified: each boot gets an overlayfs with a
throw-away upper layer (or a copy when overlayfs is unavailable). Commands run inside the
booted container through nsenter into its PID 1, so no host systemd or D-Bus is needed
(`--keep-unit --register=no`, docs/systemd-rpm.md section 3.4).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv/bin/python"


class ContainerError(Exception):
    """The container could not be prepared, booted or stopped."""


def missing_tools() -> str | None:
    """Why the real-systemd test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (systemd-nspawn, overlay mounts)"
    for tool in ("systemd-nspawn", "mmdebstrap", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (tests/packaging/apt-packages.txt)"
    return None


def export_source(dest: Path) -> Path:
    """The source to install: the last commit, or the working tree with KCRASHD_NSPAWN_SOURCE=worktree.

    A working tree may hold uncommitted, half-done changes; a CI checkout is clean, so both
    give the same there. A copy also keeps setuptools' build/
    directory out of the checkout.
    """
    dest.mkdir(parents=True)
    if os.environ.get("KCRASHD_NSPAWN_SOURCE") == "worktree":
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for name in filter(None, (n.decode() for n in listed)):
            if (REPO / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, dest / name)
    else:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def build_wheelhouse(dest: Path) -> list[Path]:
    """kcrashd and its dependencies as wheels, built with the project's venv."""
    source = export_source(dest.parent / "source")
    dest.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "wheel", "-q", "--wheel-dir", str(dest), str(source)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ContainerError(f"pip wheel failed:\n{result.stderr}")
    return sorted(dest.glob("*.whl"))


class Root:
    """A writable view of the cached image: overlayfs over it, removed on close()."""

    def __init__(self, image: Path, workdir: Path) -> None:
        self.workdir = workdir
        self.path = workdir / "root"
        self.mounted = False
        upper, work = workdir / "upper", workdir / "work"
        for d in (upper, work, self.path):
            d.mkdir(parents=True)
        options = f"lowerdir={image},upperdir={upper},workdir={work}"
        result = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", options, str(self.path)],
            capture_output=True,
            text=True,
        )
        if result.returncode == 0:
            self.mounted = True
        else:  # e.g. a host without overlayfs: a plain copy (slower, same result)
            self.path.rmdir()
            shutil.copytree(image, self.path, symlinks=True)

    def run(self, *command: str, binds: Sequence[tuple[Path, str]] = ()) -> subprocess.CompletedProcess[str]:
        """Run a command in the root without booting it (for installation steps)."""
        args = ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--pipe", "-D", str(self.path)]
        args += [f"--bind-ro={src}:{dst}" for src, dst in binds]
        result = subprocess.run([*args, *command], capture_output=True, text=True)
        if result.returncode != 0:
            raise ContainerError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}{result.stdout}"
            )
        return result

    def install(self, source: Path, dest: str, mode: int = 0o644) -> None:
        target = self.path / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(mode)

    def close(self) -> None:
        """Unmount and remove the throw-away layer; never delete through a live mount."""
        if self.mounted:
            if subprocess.run(["umount", str(self.path)], check=False).returncode != 0:
                subprocess.run(["umount", "--lazy", str(self.path)], check=True)
            self.mounted = False
        shutil.rmtree(self.workdir, ignore_errors=True)


class Container:
    """A booted container; `run()` executes inside all of its namespaces."""

    def __init__(self, root: Root, log: Path) -> None:
        self.root = root
        self.log_path = log
        self.log = log.open("wb")
        self.nspawn = subprocess.Popen(
            [
                "systemd-nspawn",
                "-q",
                "--keep-unit",
                "--register=no",
                "--private-network",
                "--console=pipe",
                "--machine=kcrashd-test",
                "-D",
                str(root.path),
                "-b",
                # a quiet console: the journal inside the container has the details
                "systemd.show_status=false",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.leader = self._find_leader(timeout=30)

    def _find_leader(self, timeout: float) -> int:
        """The container's PID 1 as seen from the host: a descendant of nspawn whose NSpid ends in 1."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nspawn.poll() is not None:
                raise ContainerError(
                    f"systemd-nspawn exited with {self.nspawn.returncode}; see {self.log_path}"
                )
            for pid in _descendants(self.nspawn.pid):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("NSpid:") and line.split()[-1] == "1" and len(line.split()) > 2:
                        return pid
            time.sleep(0.1)
        raise ContainerError(f"no container init within {timeout} s; see {self.log_path}")

    def run(self, *command: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a command inside the container (as root, in its namespaces)."""
        result = subprocess.run(
            ["nsenter", "-t", str(self.leader), "-m", "-u", "-i", "-n", "-p", "-C", "--", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise ContainerError(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}{result.stdout}"
            )
        return result

    def wait_booted(self, timeout: float = 90) -> str:
        """Wait for the boot to finish; returns systemctl is-system-running's answer."""
        deadline = time.monotonic() + timeout
        while True:  # "offline" until PID 1 listens on its private bus socket
            result = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout)
            state = result.stdout.strip()
            if state not in ("", "offline") or time.monotonic() > deadline:
                return state
            time.sleep(0.2)

    def show(self, unit: str, *props: str) -> dict[str, str]:
        """`systemctl show` properties of a unit."""
        out = self.run("systemctl", "show", unit, *(f"-p{p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_for(self, unit: str, prop: str, want: str, timeout: float = 30) -> dict[str, str]:
        """Poll until a unit property has a value; returns the last state seen."""
        deadline = time.monotonic() + timeout
        props = ("ActiveState", "SubState", "Result", "NRestarts", "MainPID", "StatusText", prop)
        state = self.show(unit, *props)
        while state.get(prop) != want and time.monotonic() < deadline:
            time.sleep(0.25)
            state = self.show(unit, *props)
        return state

    def poweroff(self, timeout: float = 60) -> int:
        """Shut the container down cleanly; returns nspawn's exit code."""
        if self.nspawn.poll() is None:
            self.run("systemctl", "poweroff", "--no-block", check=False)
            try:
                self.nspawn.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.nspawn.pid, signal.SIGKILL)
                self.nspawn.wait()
                raise ContainerError(f"container did not power off within {timeout} s") from None
        self.log.close()
        return self.nspawn.returncode


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found
