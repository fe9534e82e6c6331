"""Ingredients of a lab boot, built once per kernel package version and cached.

Layout under ``<cache>/<release>_<version>/``: ``debs/`` (downloaded
packages), ``image/`` and ``headers/`` (dpkg -x trees), ``module/`` (the
crash module build), ``initramfs/`` (staging) and ``initrd.img``; a
``build.json`` stamp says which package versions and lab sources they came
from, so a new kernel upload or an edited lab source rebuilds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .apt import AptError, AptSource, extract_deb, host_suite
from .errors import LabUnavailable
from .guest_tools import stage_guest_tools
from .kernels import HOST_ARCH, KernelSpec
from .toolchain import foreign_make_env

LAB_DIR = Path(__file__).resolve().parent
MODULE_SRC = LAB_DIR / "module"
GUEST_SRC = LAB_DIR / "guest"
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GUEST_TOOLS: dict[str, str] = {
    "kexec": "/sbin/kexec",
    "vmcore-dmesg": "/sbin/vmcore-dmesg",
    "makedumpfile": "/usr/bin/makedumpfile",
}
HOST_PACKAGES_FILE = LAB_DIR / "apt-packages.txt"
HEADER_PACKAGES = ("linux-headers-", "linux-kbuild-")
IMAGE_PARTS = ("linux-binary-", "linux-modules-", "linux-base-")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Ingredients:
    """Everything a boot needs for one kernel."""

    spec: KernelSpec
    release: str
    version: str
    root: Path
    vmlinuz: Path
    initrd: Path
    module: Path

    @property
    def config(self) -> Path:
        return self.root / "image" / "boot" / f"config-{self.release}"


def cache_root() -> Path:
    """KCRASHD_LAB_CACHE, or ~/.cache/kcrashd-tests/lab."""
    env = os.environ.get("KCRASHD_LAB_CACHE")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "kcrashd-tests" / "lab"


def apt_source(suite: str, arch: str = HOST_ARCH) -> AptSource:
    """The host's apt for the host's suite and arch, a private one for anything else."""
    if suite == host_suite() and arch == HOST_ARCH:
        return AptSource(suite, arch=arch)
    name = suite if arch == HOST_ARCH else f"{suite}-{arch}"
    return AptSource(suite, private_root=cache_root() / "apt" / name, arch=arch)


def sources_digest() -> str:
    """Hash of everything under lab/ that ends up in the module or initramfs."""
    digest = hashlib.sha256()
    own = [Path(__file__), LAB_DIR / "toolchain.py", LAB_DIR / "guest_tools.py"]
    for path in sorted([*MODULE_SRC.rglob("*"), *GUEST_SRC.rglob("*"), *own]):
        if path.is_file():
            digest.update(str(path.relative_to(LAB_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_host_tools(spec: KernelSpec) -> None:
    """Fail with one line naming what is missing (so a fixture can skip)."""
    tools = [spec.profile.qemu, "busybox", "cpio", "gcc", "make", "dpkg-deb", "modinfo", "readelf"]
    if spec.foreign_arch:
        tools.append(f"{spec.profile.triplet}-gcc")
    missing = [tool for tool in tools if not shutil.which(tool, path=SBIN_PATH)]
    missing += [name for name, path in GUEST_TOOLS.items() if not Path(path).exists()]
    if missing:
        pkgs = " ".join(read_apt_packages())
        raise LabUnavailable(f"missing host tools {', '.join(missing)} (apt-get install {pkgs})")
    busybox = shutil.which("busybox", path=SBIN_PATH)
    assert busybox
    if "statically linked" not in _run(["file", "-L", busybox], check=False) and _ldd(Path(busybox)):
        raise LabUnavailable("busybox is not static (apt-get install busybox-static)")


def read_apt_packages() -> list[str]:
    """The Debian packages the lab needs on the host (lab/apt-packages.txt)."""
    lines = HOST_PACKAGES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def _run(argv: list[str], cwd: Path | None = None, check: bool = True, **kw: object) -> str:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        **kw,  # type: ignore[call-overload]
    )
    if check and proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-1500:]
        raise LabUnavailable(f"{' '.join(argv[:3])}… failed ({proc.returncode}): {tail}")
    return str(proc.stdout)


def resolve_packages(spec: KernelSpec, source: AptSource) -> tuple[str, str, list[str]]:
    """(release, version, packages) for the newest kernel of the suite.

    For a foreign architecture the linux-kbuild package (host tools) is
    still the host's architecture: it is fetched separately.
    """
    image_deps = [d for d in source.depends(spec.image_meta) if d.startswith("linux-image-")]
    if not image_deps:
        raise AptError(f"{spec.image_meta} has no linux-image dependency in {spec.suite}")
    image = image_deps[0]
    release = image.removeprefix("linux-image-").removesuffix("-unsigned")
    version = source.candidate(image)
    if spec.series and not release.startswith(f"{spec.series}."):
        raise AptError(f"{spec.suite} now has {release}, not {spec.series}: {spec.id} needs a new kernel id")
    # In sid (7.2; not in trixie) linux-image-RELEASE only depends on linux-binary-, linux-modules- and
    # linux-base-RELEASE, which hold the kernel, its modules and its config.
    image_parts = [
        d for d in source.depends(image) if d.endswith(f"-{release}") and d.startswith(IMAGE_PARTS)
    ]
    headers = f"linux-headers-{release}"
    header_deps = [d for d in source.depends(headers) if d.startswith(HEADER_PACKAGES)]
    return release, version, [image, *image_parts, headers, *header_deps]


def prepare(spec: KernelSpec, log: Log = print, offline_ok: bool = True) -> Ingredients:
    """Return cached ingredients for a kernel, building what is absent or stale."""
    check_host_tools(spec)
    source = apt_source(spec.suite, spec.arch)
    try:
        source.prepare()
        release, version, packages = resolve_packages(spec, source)
    except AptError as err:
        cached = _newest_cached(spec) if offline_ok else None
        if cached is None:
            raise LabUnavailable(f"cannot resolve the {spec.suite} kernel: {err}") from err
        log(f"apt unavailable ({err}); using cached {cached.name}")
        stamp = json.loads((cached / "build.json").read_text())
        release, version, packages = stamp["release"], stamp["version"], stamp["packages"]
    root = cache_root() / f"{release}_{version}"
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        return _prepare_locked(spec, source, release, version, packages, root, log)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One builder per kernel folder at a time, across processes."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_stamp(path: Path, stamp: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=1))
    tmp.replace(path)


def _prepare_locked(
    spec: KernelSpec,
    source: AptSource,
    release: str,
    version: str,
    packages: list[str],
    root: Path,
    log: Log,
) -> Ingredients:
    stamp_path = root / "build.json"
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    digest = sources_digest()

    vmlinuz = root / "image" / "boot" / f"{spec.profile.image}-{release}"
    if stamp.get("version") != version or not vmlinuz.exists():
        log(f"fetching {spec.suite} kernel {release} ({version})")
        kbuild = [p for p in packages if p.startswith("linux-kbuild-")] if spec.foreign_arch else []
        debs = source.download([p for p in packages if p not in kbuild], root / "debs")
        if kbuild:
            debs += _tools_source(spec, source).download(kbuild, root / "debs-host")
        for sub in ("image", "headers", "foreign"):
            shutil.rmtree(root / sub, ignore_errors=True)
        for deb in debs:
            extract_deb(deb, root / ("headers" if deb.name.startswith(HEADER_PACKAGES) else "image"))
        _fix_headers(root / "headers", release)
        _link_boot_files(root / "image", release, spec.profile.image)
        _unpack_kernel_image(vmlinuz)
        stamp = {"release": release, "version": version, "packages": packages, "spec": spec.id}
        _write_stamp(stamp_path, stamp)

    module = root / "module" / "kcrashd_lab.ko"
    initrd = root / "initrd.img"
    if stamp.get("lab") != digest or not module.exists() or not initrd.exists():
        log(f"building module and initramfs for {release}")
        _build_module(spec, source, root, release)
        _build_initramfs(spec, source, root, release, module)
        stamp["lab"] = digest
        _write_stamp(stamp_path, stamp)
    return Ingredients(spec, release, version, root, vmlinuz, initrd, module)


def _newest_cached(spec: KernelSpec) -> Path | None:
    found = []
    base = cache_root()
    for stamp in base.glob("*/build.json") if base.exists() else []:
        data = json.loads(stamp.read_text())
        if data.get("spec") == spec.id and data.get("lab"):
            found.append(stamp.parent)
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _fix_headers(headers: Path, release: str) -> None:
    """Point the flavour Makefile at the unpacked -common tree, not /usr/src."""
    src = headers / "usr" / "src"
    makefile = src / f"linux-headers-{release}" / "Makefile"
    text = makefile.read_text()
    makefile.write_text(re.sub(r"(?<![\w/])/usr/src/", f"{src}/", text))


def _build_module(spec: KernelSpec, source: AptSource, root: Path, release: str) -> None:
    build = root / "module"
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(MODULE_SRC, build)
    module_make(spec, source, root, release, build, ko="kcrashd_lab.ko", kcflags=f"-ffile-prefix-map={root / 'headers'}/=/")


def module_make(spec: KernelSpec, source: AptSource, root: Path, release: str, build: Path, *, ko: str, kcflags: str,
                variables: tuple[str, ...] = ()) -> None:
    """`make -C <the release's headers> M=<build> [variables] modules KCFLAGS=<kcflags>`, with the host's or a
    foreign suite's toolchain and the cross compiler of a foreign architecture; LabUnavailable when no `ko` came."""
    kdir = root / "headers" / "usr" / "src" / f"linux-headers-{release}"
    env = dict(os.environ)
    make = ["make", "-C", str(kdir), f"M={build}", *variables, "modules"]
    if spec.suite != host_suite():
        cross = spec.profile.triplet if spec.foreign_arch else None
        extra_env, extra_args = foreign_make_env(_tools_source(spec, source), root, kdir, cross)
        env.update(extra_env)
        make += extra_args
    if spec.foreign_arch:
        make += [f"ARCH={spec.profile.kernel_arch}", f"CROSS_COMPILE={spec.profile.triplet}-"]
    make.append(f"KCFLAGS={kcflags}")
    _run(make, env=env)
    if not (build / ko).exists():
        raise LabUnavailable(f"the module build produced no {ko}")


def _tools_source(spec: KernelSpec, source: AptSource) -> AptSource:
    """The kernel's suite for the host's architecture, ready: kbuild's tools and their libraries run on the host
    (`source` itself unless the kernel is a foreign architecture's)."""
    if not spec.foreign_arch:
        return source
    host = apt_source(spec.suite)
    host.prepare()
    return host


def _link_boot_files(image: Path, release: str, kernel: str = "vmlinuz") -> None:
    """Move a kernel's files that ship under /usr/lib/modules/RELEASE (sid 7.2) to /boot/, the kernel under the name
    the architecture boots (`kernel`: sid's ppc64el ships its ELF vmlinux as `vmlinuz` there, bookworm's as
    /boot/vmlinux-RELEASE)."""
    moddir = image / "usr" / "lib" / "modules" / release
    boot = image / "boot"
    for name in ("vmlinuz", "vmlinux", "config", "System.map"):
        target = boot / f"{kernel if name in ('vmlinuz', 'vmlinux') else name}-{release}"
        if (moddir / name).is_file() and not target.exists():
            boot.mkdir(exist_ok=True)
            (moddir / name).rename(target)  # QEMU, kexec and the 9p share want a plain file


def _unpack_kernel_image(vmlinuz: Path) -> None:
    """arm64 vmlinuz is a gzipped Image; kexec and QEMU both take it unpacked."""
    data = vmlinuz.read_bytes()
    if data[:2] == b"\x1f\x8b":
        vmlinuz.write_bytes(gzip.decompress(data))


def _ldd(binary: Path) -> list[Path]:
    out = _run(["ldd", str(binary)], check=False)
    libs = re.findall(r"=>\s+(/\S+)", out) + re.findall(r"^\s*(/\S+)\s+\(0x", out, re.M)
    return [Path(p) for p in libs]


def _copy_binary(src: Path, staging: Path, dest: str) -> None:
    target = staging / dest.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src.resolve(), target)
    for lib in _ldd(src):
        lib_target = staging / str(lib).lstrip("/")
        if not lib_target.exists():
            lib_target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib.resolve(), lib_target)


def _module_index(modroot: Path) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for path in modroot.rglob("*.ko*"):
        name = path.name.split(".ko")[0].replace("-", "_")
        index[name] = path
    return index


def _read_module(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    return data


def _stage_modules(spec: KernelSpec, root: Path, release: str, staging: Path) -> list[str]:
    """Copy the wanted modules and their dependencies; return the load order."""
    modroot = next(
        (d for d in (root / "image" / sub / "modules" / release for sub in ("lib", "usr/lib")) if d.is_dir()),
        root / "image" / "lib" / "modules" / release,
    )
    builtin_file = modroot / "modules.builtin"
    builtin = {
        Path(line).name.split(".ko")[0].replace("-", "_")
        for line in (builtin_file.read_text().split() if builtin_file.exists() else [])
    }
    index = _module_index(modroot / "kernel")
    order: list[str] = []
    dest_dir = staging / "lib" / "modules"
    dest_dir.mkdir(parents=True, exist_ok=True)

    def visit(name: str) -> None:
        name = name.replace("-", "_")
        if name in builtin or f"{name}.ko" in order:
            return
        if name not in index:
            raise LabUnavailable(f"module {name} is neither built in nor shipped in {release}")
        target = dest_dir / f"{name}.ko"
        target.write_bytes(_read_module(index[name]))
        deps = _run(["modinfo", "-F", "depends", str(target)]).strip()
        for dep in filter(None, deps.split(",")):
            visit(dep)
        order.append(f"{name}.ko")

    for name in spec.modules:
        visit(name)
    return order


def _build_initramfs(spec: KernelSpec, source: AptSource, root: Path, release: str, module: Path) -> None:
    staging = root / "initramfs"
    shutil.rmtree(staging, ignore_errors=True)
    for sub in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "mnt", "etc"):
        (staging / sub).mkdir(parents=True, exist_ok=True)
    if spec.foreign_arch:
        stage_guest_tools(source, root, staging)
        cc = f"{spec.profile.triplet}-gcc"
    else:
        busybox = shutil.which("busybox", path=SBIN_PATH)
        assert busybox
        shutil.copy2(busybox, staging / "bin" / "busybox")
        for path in GUEST_TOOLS.values():
            _copy_binary(Path(path), staging, path)
        cc = "gcc"
    stage2 = staging / "sbin" / "stage2"
    _run([cc, "-static", "-Os", "-s", "-o", str(stage2), str(GUEST_SRC / "stage2.c")])
    shutil.copy2(GUEST_SRC / "init", staging / "init")
    (staging / "init").chmod(0o755)
    order = _stage_modules(spec, root, release, staging)
    (staging / "lib" / "modules" / "load.order").write_text("".join(f"{m}\n" for m in order))
    shutil.copy2(module, staging / "lib" / "modules" / "kcrashd_lab.ko")
    (staging / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\n")

    files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p != staging)
    cpio = subprocess.run(
        ["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
        cwd=staging,
        input="\n".join(files).encode(),
        capture_output=True,
        check=True,
    ).stdout
    tmp = root / "initrd.img.tmp"
    with gzip.open(tmp, "wb", compresslevel=6) as out:
        out.write(cpio)
    tmp.replace(root / "initrd.img")
