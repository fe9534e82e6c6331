"""Building the crash module for another suite's kernel with the host's toolchain.

The headers name their suite's compiler (gcc-10 on bullseye, gcc-14 on
trixie); when the host lacks it, a stub of that name runs the host's gcc
and translates the flags it does not know. A newer suite's kbuild binaries
(fixdep, modpost, objtool, ...) need a newer glibc: each is then replaced
by a shell stub that runs the original with that suite's own dynamic loader
and libraries, unpacked from its packages. Module BTF is skipped (it would
need the suite's pahole).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .apt import AptSource, extract_deb
from .errors import LabUnavailable

RUNTIME_PACKAGES = ("libc6", "libelf1t64", "zlib1g", "libzstd1")
ORIGINAL_SUFFIX = ".foreign-elf"
HOST_CC = "gcc"

# gcc >= 14 flag -> what gcc 12 understands (None: drop the flag).
FLAG_TRANSLATIONS: dict[str, str | None] = {
    "-fmin-function-alignment=": "-falign-functions=",
}

LOADERS = ("usr/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2")
LIB_DIRS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")


def _loader(runtime: Path) -> Path | None:
    return next((runtime / p for p in LOADERS if (runtime / p).exists()), None)


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def _compiler_names(kdir: Path, cross: str | None = None) -> dict[str, str]:
    """Names kbuild may run the compiler by (gcc-14, x86_64-linux-gnu-gcc-14), each with the host's compiler
    that stands in for it: the host's gcc, or for another architecture (`cross`, its triplet) its cross gcc.

    CROSS_COMPILE is set conditionally in some suites' .kernelvariables, so
    both the plain and the triplet-prefixed name get a stub.
    """
    text = (kdir / ".kernelvariables").read_text()
    match = re.search(r"^CC\s*=.*?(gcc[-\w.]*)\s*$", text, re.M)
    base = match.group(1) if match else "gcc"
    if cross is not None:
        return {f"{cross}-{base}": f"{cross}-{HOST_CC}"}
    return {base: HOST_CC, f"x86_64-linux-gnu-{base}": HOST_CC}


def _write_cc_stub(bindir: Path, name: str, target: str = HOST_CC) -> None:
    cases = "\n".join(
        f'    {old}*) a="{new}${{a#{old}}}" ;;' if new else f"    {old}*) continue ;;"
        for old, new in FLAG_TRANSLATIONS.items()
    )
    stub = bindir / name
    stub.write_text(
        "#!/bin/sh\n"
        "# Host gcc standing in for a newer one: translate the flags it lacks.\n"
        "for a do\n"
        "    shift\n"
        '    case "$a" in\n'
        f"{cases}\n"
        "    esac\n"
        '    set -- "$@" "$a"\n'
        "done\n"
        f'exec {target} "$@"\n'
    )
    stub.chmod(0o755)


def _wrap_kbuild_binaries(kbuild: Path, runtime: Path, loader: Path) -> None:
    libs = ":".join(str(runtime / d) for d in LIB_DIRS)
    for path in sorted(kbuild.rglob("*")):
        if path.name.endswith(ORIGINAL_SUFFIX) or path.is_symlink() or not path.is_file():
            continue
        if not _is_elf(path):
            continue
        original = path.with_name(path.name + ORIGINAL_SUFFIX)
        path.rename(original)
        path.write_text(f'#!/bin/sh\nexec {loader} --library-path {libs} --argv0 "$0" {original} "$@"\n')
        path.chmod(0o755)


def _glibc_version(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _needs_newer_glibc(kbuild: Path) -> bool:
    """Whether any kbuild binary asks for a glibc symbol version the host lacks."""
    host = _glibc_version(os.confstr("CS_GNU_LIBC_VERSION") or "")
    for path in kbuild.rglob("*"):
        if path.is_file() and not path.is_symlink() and _is_elf(path):
            wanted = [_glibc_version(v.decode()) for v in re.findall(rb"GLIBC_(\d+\.\d+)", path.read_bytes())]
            if wanted and max(wanted) > host:
                return True
    return False


def _runs_natively(binary: Path) -> bool:
    probe = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    return "GLIBC_" not in probe.stderr and probe.returncode != 127


def foreign_make_env(source: AptSource, root: Path, kdir: Path, cross: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Environment and make arguments that let the host build for another suite; `source`: that suite's packages for
    the host's architecture (kbuild's tools run here); `cross`: the triplet of a foreign architecture's compiler."""
    if not shutil.which(HOST_CC):
        raise LabUnavailable("gcc not found (apt-get install gcc)")
    bindir = root / "foreign" / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for compiler, target in _compiler_names(kdir, cross).items():
        if compiler != target:
            _write_cc_stub(bindir, compiler, target)
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    # The host's cross gcc (12) cannot honour a newer kernel's function alignment for cold functions (no
    # -fmin-function-alignment: trixie's arm64 ftrace WARNs `Misaligned patch-site` and BUG()s loading the module), so a
    # cross-built module gets no ftrace patch sites: it is never traced, and its code is otherwise the same.
    args = ["CONFIG_DEBUG_INFO_BTF_MODULES=", *(["CC_FLAGS_FTRACE="] if cross is not None else [])]
    kbuild = (kdir / "scripts").resolve().parent
    fixdep = kbuild / "scripts" / "basic" / "fixdep"
    if any(kbuild.rglob(f"*{ORIGINAL_SUFFIX}")) or not _needs_newer_glibc(kbuild):
        return env, args
    runtime = root / "foreign" / "runtime"
    if _loader(runtime) is None:
        for deb in source.download(list(RUNTIME_PACKAGES), root / "debs-host"):  # the host architecture's
            extract_deb(deb, runtime)
    loader = _loader(runtime)
    if loader is None:
        raise LabUnavailable(f"no dynamic loader in {source.suite}'s libc6")
    _wrap_kbuild_binaries(kbuild, runtime, loader)
    if not _runs_natively(fixdep):
        raise LabUnavailable(f"{source.suite} kbuild tools do not run here, even with its own loader")
    return env, args
