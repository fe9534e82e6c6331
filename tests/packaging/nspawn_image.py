"""The Debian 12 root that the real-systemd test boots with systemd-nspawn.

Built once with mmdebstrap from the packages in nspawn-packages.txt into
~/.cache/kcrashd-tests/nspawn-bookworm-<hash of the list>/ and reused until the list changes.
Run `python tests/packaging/nspawn_image.py` to build it ahead of the tests (`make nspawn-image`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SUITE = "bookworm"
PACKAGES_FILE = Path(__file__).with_name("nspawn-packages.txt")
MIRRORS = (
    f"deb http://deb.debian.org/debian {SUITE} main",
    f"deb http://deb.debian.org/debian {SUITE}-updates main",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main",
)
# written last, so a half-built root is never taken for a finished one
STAMP = ".kcrashd-image-complete"


def package_list() -> list[str]:
    """The packages of the root, without comments."""
    words: list[str] = []
    for line in PACKAGES_FILE.read_text(encoding="utf-8").splitlines():
        words.extend(line.split("#", 1)[0].split())
    return sorted(set(words))


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kcrashd-tests"


def image_path() -> Path:
    """Where the root for the current package list lives."""
    key = hashlib.sha256("\n".join([SUITE, *MIRRORS, *package_list()]).encode()).hexdigest()[:12]
    return cache_root() / f"nspawn-{SUITE}-{key}"


def image_ready(path: Path | None = None) -> bool:
    return ((path or image_path()) / STAMP).is_file()


def build_image(log: Path | None = None) -> Path:
    """Build the root unless it exists; returns its path."""
    dest = image_path()
    if image_ready(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        "mmdebstrap",
        "--variant=minbase",
        "--include=" + ",".join(package_list()),
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        SUITE,
        str(partial),
        *MIRRORS,
    ]
    started = time.monotonic()
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log and not isinstance(out, int):
            out.close()
    # the container gets a fresh machine id on every boot; an empty file lets systemd write it
    (partial / "etc/machine-id").write_text("")
    (partial / STAMP).write_text(f"built in {time.monotonic() - started:.0f} s\n")
    partial.rename(dest)
    return dest


if __name__ == "__main__":
    t0 = time.monotonic()
    where = build_image(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"{where} ready ({time.monotonic() - t0:.0f} s)")
