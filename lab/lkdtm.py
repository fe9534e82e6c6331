"""LKDTM, the kernel's own crash-test module, built out of tree for a lab kernel on demand.

Another lab most likely crashes its kernels with the Linux Kernel Dump Test Module
(drivers/misc/lkdtm, GPL-2.0: ``echo TYPE > /sys/kernel/debug/provoke-crash/DIRECT``), not with the
lab's own module. Debian builds its kernels without it (``# CONFIG_LKDTM is not set``), so the lab
takes the source from Debian's ``linux-source-<series>`` package of the kernel's own version (the
suite's candidate when the archive no longer has it), extracts ``drivers/misc/lkdtm/`` only, and
builds it against the unpacked headers with ``CONFIG_LKDTM=m``, as ``_build_module`` builds the
lab's module. Its Makefile's own rule turns ``rodata.o`` into ``rodata_objcopy.o`` (objcopy renames
``.noinstr.text`` to ``.rodata``), as in the tree.

Cached under the kernel's folder: ``lkdtm/src/`` (the extracted source, untouched), ``lkdtm/build/``
(the patched copy and ``lkdtm.ko``) and ``lkdtm/lkdtm.json`` (source package, version and this
file's digest). Nothing here runs unless a ``lkdtm-*`` kind is crashed: ``prepare()`` and the lab's
own kinds never fetch or build it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .apt import AptError, AptSource
from .build import Ingredients, Log, _exclusive, _run, _write_stamp, apt_source, module_make
from .errors import LabUnavailable
from .kinds import release_version

LKDTM_DIR = "drivers/misc/lkdtm"
KO_NAME = "lkdtm.ko"
# bugs.c's UNSET_SMEP calls native_write_cr4(), which arch/x86/kernel/cpu/common.c exports only
# `#if IS_MODULE(CONFIG_LKDTM)`: against a kernel built without LKDTM modpost refuses the module
# ('"native_write_cr4" undefined'). The lab never runs UNSET_SMEP; its x86_64 body is compiled out
# and the test falls to its own XFAIL branch. Nothing else in the module changes.
SMEP_GUARD = "#if IS_ENABLED(CONFIG_X86_64) && !IS_ENABLED(CONFIG_UML)\n#define MOV_CR4_DEPTH"
SMEP_OFF = "#if 0 /* kcrashd lab: native_write_cr4 is exported to an in-tree LKDTM only */\n#define MOV_CR4_DEPTH"


def source_package(release: str) -> str:
    """Debian's kernel source package of a release's series: linux-source-6.1 for 6.1.0-57-amd64."""
    major, minor = release_version(release)
    return f"linux-source-{major}.{minor}"


def patch_sources(build: Path) -> list[str]:
    """Apply the lab's one change (SMEP_GUARD); return what was changed, for the stamp."""
    bugs = build / "bugs.c"
    text = bugs.read_text(encoding="utf-8")
    if SMEP_GUARD not in text:
        return []
    bugs.write_text(text.replace(SMEP_GUARD, SMEP_OFF, 1), encoding="utf-8")
    return ["bugs.c: lkdtm_UNSET_SMEP's native_write_cr4() compiled out"]


def _digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _versions(source: AptSource, package: str) -> list[str]:
    """Versions of a package the suite's archive still has (apt-cache madison)."""
    out = source._run(["apt-cache", "madison", package])
    return [line.split("|")[1].strip() for line in out.splitlines() if line.count("|") >= 2]


def pick_version(kernel_version: str, available: list[str], candidate: str) -> str:
    """The kernel's own package version when the archive has its source, else the candidate."""
    return kernel_version if kernel_version in available else candidate


def prepare_lkdtm(ing: Ingredients, log: Log = print) -> Path:
    """Return the cached lkdtm.ko for a kernel, fetching and building it when absent or stale."""
    root = ing.root / "lkdtm"
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        stamp_path = root / "lkdtm.json"
        stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
        ko = root / "build" / KO_NAME
        if stamp.get("kernel_version") == ing.version and stamp.get("lab") == _digest() and ko.exists():
            return ko
        source = apt_source(ing.spec.suite)  # linux-source is Architecture: all
        package = source_package(ing.release)
        src = root / "src"
        if stamp.get("kernel_version") != ing.version or not (src / "Makefile").exists():
            try:
                source.prepare()
                version = pick_version(ing.version, _versions(source, package), source.candidate(package))
            except AptError as err:
                raise LabUnavailable(f"cannot resolve {package}: {err}") from err
            log(f"fetching {LKDTM_DIR} from {package} {version}")
            _fetch_source(source, package, version, src)
            stamp = {"kernel_version": ing.version, "source_package": package, "source_version": version}
        log(f"building {KO_NAME} for {ing.release}")
        stamp["patches"] = _build(ing, source, src, root / "build")
        stamp["lab"] = _digest()
        _write_stamp(stamp_path, stamp)
        return ko


def _fetch_source(source: AptSource, package: str, version: str, src: Path) -> None:
    """Download the source package, keep drivers/misc/lkdtm/ of its tarball, drop the rest."""
    with tempfile.TemporaryDirectory(prefix="lkdtm-", dir=src.parent) as tmp_name:
        tmp = Path(tmp_name)
        try:
            (deb,) = source.download([f"{package}={version}"], tmp / "debs")
        except AptError as err:
            raise LabUnavailable(f"cannot fetch {package} {version}: {err}") from err
        tarball = f"./usr/src/{package}.tar.xz"
        deb_tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        _run(["tar", "-x", "-C", str(tmp), tarball], stdin=deb_tar.stdout)
        if deb_tar.wait() != 0:
            raise LabUnavailable(f"dpkg-deb could not read {deb.name}")
        _run(["tar", "-xJf", str(tmp / tarball), "-C", str(tmp), f"{package}/{LKDTM_DIR}"])
        shutil.rmtree(src, ignore_errors=True)
        (tmp / package / LKDTM_DIR).rename(src)


def _in_tree_file_names(build: Path) -> str:
    """The compiler flags that make __FILE__ read as in the tree (`kernel BUG at drivers/misc/lkdtm/bugs.c:76!`).
    Out of tree, kbuild names the file by the module folder's absolute path, or, since it builds external modules
    from their own folder (7.x), by the bare file name (`kernel BUG at bugs.c:132!`): both are mapped."""
    bare = " ".join(f"-fmacro-prefix-map={c.name}={LKDTM_DIR}/{c.name}" for c in sorted(build.glob("*.c")))
    return f"-fmacro-prefix-map={build}/={LKDTM_DIR}/ {bare}"


def _build(ing: Ingredients, source: AptSource, src: Path, build: Path) -> list[str]:
    """make -C <headers> M=<build> CONFIG_LKDTM=m modules; BUG()/WARN() files read as in the tree."""
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(src, build)
    patches = patch_sources(build)
    kcflags = f"-ffile-prefix-map={ing.root / 'headers'}/=/ {_in_tree_file_names(build)}"
    module_make(ing.spec, source, ing.root, ing.release, build, ko=KO_NAME, kcflags=kcflags, variables=("CONFIG_LKDTM=m",))
    return patches
