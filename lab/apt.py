"""Fetching Debian packages without installing them.

The host's own suite is read through the host's apt state (read only); any
other suite gets a private apt configuration under the lab cache, so the
host's sources, lists and package database are never touched.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Suites with no -security archive (unstable is not security-supported).
UNSECURED_SUITES = frozenset({"sid", "unstable", "experimental"})


class AptError(RuntimeError):
    """apt could not resolve or fetch a package."""


def host_suite() -> str:
    """The Debian codename of this machine, e.g. bookworm."""
    text = Path("/etc/os-release").read_text(encoding="utf-8")
    match = re.search(r"^VERSION_CODENAME=(\S+)", text, re.M)
    return str(match.group(1)) if match else ""


def host_mirror() -> str:
    """The Debian mirror the host already uses (deb822 or one-line sources)."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or not path.name.endswith((".list", ".sources")):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        uris: list[str] = re.findall(r"^\s*URIs:\s*(\S+)", text, re.M)
        uris += re.findall(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M)
        for uri in uris:
            if uri.rstrip("/").endswith("/debian"):
                return uri.rstrip("/")
    return DEFAULT_MIRROR


@dataclass(frozen=True)
class AptSource:
    """Where packages of one suite come from: the host's apt or a private one."""

    suite: str
    private_root: Path | None = None
    arch: str = "amd64"

    def options(self) -> list[str]:
        opts = ["-o", f"APT::Architecture={self.arch}", "-o", "APT::Sandbox::User=root"]
        if self.private_root is None:
            return opts
        root = self.private_root
        return [
            *opts,
            "-o", f"Dir::Etc::SourceList={root / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", "Dir::Etc::Preferences=/dev/null",
            "-o", "Dir::Etc::PreferencesParts=/dev/null",
            "-o", f"Dir::State::Lists={root / 'lists'}",
            "-o", f"Dir::State::status={root / 'status'}",
            "-o", f"Dir::Cache={root / 'cache'}",
            "-o", "Acquire::Languages=none",
        ]  # fmt: skip

    def sources_list(self, mirror: str) -> str:
        """The private sources.list: the suite, and its -security archive where it has one."""
        text = f"deb [signed-by={KEYRING}] {mirror} {self.suite} main\n"
        if self.suite not in UNSECURED_SUITES:
            text += f"deb [signed-by={KEYRING}] {mirror}-security {self.suite}-security main\n"
        return text

    def prepare(self, max_age_s: float = 86400.0) -> None:
        """Write the private sources file and refresh its lists when stale."""
        if self.private_root is None:
            return
        import time

        root = self.private_root
        (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (root / "status").touch()
        sources = self.sources_list(host_mirror())
        src_file = root / "sources.list"
        fresh = src_file.exists() and src_file.read_text() == sources
        stamp = root / "updated"
        if fresh and stamp.exists() and time.time() - stamp.stat().st_mtime < max_age_s:
            return
        src_file.write_text(sources)
        self._run(["apt-get", "update", "-q"])
        stamp.touch()

    def _run(self, argv: list[str], cwd: Path | None = None) -> str:
        cmd = [argv[0], *self.options(), *argv[1:]]
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AptError(f"{' '.join(argv)}: {proc.stderr.strip()[-500:]}")
        return proc.stdout

    def depends(self, package: str) -> list[str]:
        """Direct Depends of the candidate version of a package."""
        out = self._run(["apt-cache", "depends", "--no-recommends", "--no-suggests", package])
        return re.findall(r"^\s+\|?Depends:\s+([^\s<>]+)", out, re.M)

    def candidate(self, package: str) -> str:
        """The version apt would fetch, or AptError when unknown."""
        out = self._run(["apt-cache", "policy", package])
        match = re.search(r"Candidate:\s*(\S+)", out)
        if not match or match.group(1) == "(none)":
            raise AptError(f"no candidate for {package} in {self.suite}")
        return match.group(1)

    def download(self, packages: list[str], dest: Path) -> list[Path]:
        """apt-get download into dest; already present .debs are reused."""
        dest.mkdir(parents=True, exist_ok=True)
        wanted = [p for p in packages if not list(dest.glob(f"{p.split('=')[0]}_*.deb"))]
        if wanted:
            self._run(["apt-get", "download", "-q", *wanted], cwd=dest)
        found: list[Path] = []
        for pkg in packages:
            matches = sorted(dest.glob(f"{pkg.split('=')[0]}_*.deb"))
            if not matches:
                raise AptError(f"{pkg} was not downloaded")
            found.append(matches[-1])
        return found


def extract_deb(deb: Path, dest: Path) -> None:
    """Unpack a .deb's files (never its maintainer scripts)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
