"""Building the crash module for a kernel newer than the host's toolchain.

A newer suite's kbuild binaries (fixdep, modpost, objtool, ...) are linked
against a newer glibc: each is replaced by a shell stub that runs the
original with that suite's own dynamic loader and libraries, unpacked from
its packages. Its compiler is named after a newer gcc; a stub of that name
runs the host's gcc and translates the flags the older gcc lacks. Module
BTF is skipped (it needs the suite's pahole).
"""

from __future__ import annotations

import os
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


def _kernel_variables(kdir: Path) -> dict[str, str]:
    """CC and CROSS_COMPILE as the headers' .kernelvariables spell them."""
    values: dict[str, str] = {}
    for line in (kdir / ".kernelvariables").read_text().splitlines():
        for key in ("CC", "CROSS_COMPILE"):
            for prefix in (f"{key} = ", f"override {key} = "):
                if line.startswith(prefix):
                    values[key] = line[len(prefix) :].strip()
    return values


def _compiler_name(kdir: Path) -> str:
    """The compiler command kbuild will run, e.g. x86_64-linux-gnu-gcc-14."""
    values = _kernel_variables(kdir)
    cc = values.get("CC", "gcc").split()[-1]
    return cc.replace("$(CROSS_COMPILE)", values.get("CROSS_COMPILE", ""))


def _write_cc_stub(bindir: Path, name: str) -> None:
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
        f'exec {HOST_CC} "$@"\n'
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


def foreign_make_env(source: AptSource, root: Path, kdir: Path) -> tuple[dict[str, str], list[str]]:
    """Environment and make arguments that let the host build for a newer suite."""
    if not shutil.which(HOST_CC):
        raise LabUnavailable("gcc not found (apt-get install gcc)")
    runtime = root / "foreign" / "runtime"
    bindir = root / "foreign" / "bin"
    if _loader(runtime) is None:
        for deb in source.download(list(RUNTIME_PACKAGES), root / "debs"):
            extract_deb(deb, runtime)
    loader = _loader(runtime)
    if loader is None:
        raise LabUnavailable(f"no dynamic loader in {source.suite}'s libc6")
    kbuild = (kdir / "scripts").resolve().parent
    if not any(kbuild.rglob(f"*{ORIGINAL_SUFFIX}")):
        _wrap_kbuild_binaries(kbuild, runtime, loader)
    bindir.mkdir(parents=True, exist_ok=True)
    _write_cc_stub(bindir, _compiler_name(kdir))
    probe = subprocess.run(
        [str(kbuild / "scripts" / "basic" / "fixdep")], capture_output=True, text=True, check=False
    )
    if "GLIBC" in probe.stderr or "not found" in probe.stderr:
        raise LabUnavailable(f"{source.suite} kbuild tools do not run here: {probe.stderr.strip()[:200]}")
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    return env, ["CONFIG_DEBUG_INFO_BTF_MODULES="]
