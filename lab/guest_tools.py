"""The initramfs tools of a guest whose architecture is not the host's.

The host's busybox, kexec, vmcore-dmesg and makedumpfile cannot run in an
arm64 guest, so the same Debian packages are fetched for the guest's
architecture, unpacked, and copied with the libraries their ELF headers
name (read with readelf, since ldd cannot run foreign binaries).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .apt import AptSource, extract_deb
from .errors import LabUnavailable

TOOL_PACKAGES = ("busybox-static", "kexec-tools", "makedumpfile")
# (path in the unpacked packages, path in the initramfs)
TOOLS: tuple[tuple[str, str], ...] = (
    ("bin/busybox", "bin/busybox"),
    ("sbin/kexec", "sbin/kexec"),
    ("sbin/vmcore-dmesg", "sbin/vmcore-dmesg"),
    ("usr/bin/makedumpfile", "usr/bin/makedumpfile"),
)
LIB_DIRS = ("lib", "usr/lib")


def _is_library_package(name: str) -> bool:
    return name.startswith(("lib", "zlib")) and not name.endswith(("-bin", "-dev"))


def _library_closure(source: AptSource, roots: tuple[str, ...]) -> list[str]:
    """The packages plus every library package they need, transitively."""
    seen: list[str] = []
    queue = list(roots)
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.append(name)
        queue += [d for d in source.depends(name) if _is_library_package(d) and d not in seen]
    return seen


def _elf_needs(binary: Path) -> tuple[list[str], str | None]:
    """(NEEDED sonames, program interpreter) of an ELF file of any architecture."""
    dyn = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=False).stdout
    hdr = subprocess.run(["readelf", "-l", str(binary)], capture_output=True, text=True, check=False).stdout
    interp = re.search(r"program interpreter: (\S+?)\]", hdr)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dyn), interp.group(1) if interp else None


def _find_library(tree: Path, soname: str) -> Path | None:
    for base in LIB_DIRS:
        for found in sorted((tree / base).rglob(soname)):
            return found
    return None


def _in_tree(tree: Path, rel: str) -> Path | None:
    """A path of the unpacked packages, following symlinks inside the tree (absolute ones too).

    ppc64el's libc6 links /lib64/ld64.so.2 to /lib/powerpc64le-linux-gnu/ld64.so.2: resolved on
    the host, that absolute target is not the package's file.
    """
    path = tree / rel.lstrip("/")
    for _ in range(16):
        if not path.is_symlink():
            return path if path.exists() else None
        target = path.readlink()
        path = tree / str(target).lstrip("/") if target.is_absolute() else path.parent / target
    return None


def stage_guest_tools(source: AptSource, root: Path, staging: Path) -> None:
    """Copy the guest-architecture tools and their libraries into the initramfs."""
    tree = root / "guest-tools"
    if not (tree / TOOLS[-1][0]).exists():
        shutil.rmtree(tree, ignore_errors=True)
        for deb in source.download(_library_closure(source, TOOL_PACKAGES), root / "debs-guest"):
            extract_deb(deb, tree)
    pending = []
    for src, dest in TOOLS:
        path = tree / src
        if not path.exists():
            path = tree / "usr" / src
        if not path.exists():
            raise LabUnavailable(f"{src} missing from the {source.arch} packages")
        target = staging / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path.resolve(), target)
        pending.append(path.resolve())
    copied: set[str] = set()
    while pending:
        needs, interp = _elf_needs(pending.pop())
        wanted: list[tuple[Path | None, str]] = [(_find_library(tree, name), name) for name in needs]
        if interp:
            rel_interp = interp.lstrip("/")
            found = _in_tree(tree, rel_interp) or _in_tree(tree, f"usr/{rel_interp}")
            wanted.append((found, rel_interp))
        for lib, name in wanted:
            if lib is None or not lib.exists():
                raise LabUnavailable(f"{name} not found in the {source.arch} packages")
            rel = name if "/" in name else str(lib.relative_to(tree))
            if rel in copied:
                continue
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib.resolve(), target)
            copied.add(rel)
            pending.append(lib.resolve())
