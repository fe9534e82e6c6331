"""The Debian kernels the lab boots, and how QEMU runs each architecture, as tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchProfile:
    """How to build for and boot one Debian architecture."""

    name: str
    qemu: str
    machine: tuple[str, ...]
    tcg_cpu: str
    console: str
    triplet: str
    kernel_arch: str
    qemu_package: str
    kdump_broken: str = ""
    image: str = "vmlinuz"


CONSOLE_ONLY = "console logs only: kdump is not set up in the lab's guests of this architecture"

ARCHES: dict[str, ArchProfile] = {
    "amd64": ArchProfile(
        name="amd64",
        qemu="qemu-system-x86_64",
        machine=(),
        tcg_cpu="max,-la57",
        console="ttyS0",
        triplet="x86_64-linux-gnu",
        kernel_arch="x86",
        qemu_package="qemu-system-x86",
    ),
    "arm64": ArchProfile(
        name="arm64",
        qemu="qemu-system-aarch64",
        machine=("-M", "virt"),
        tcg_cpu="cortex-a57",
        console="ttyAMA0",
        triplet="aarch64-linux-gnu",
        kernel_arch="arm64",
        qemu_package="qemu-system-arm",
        kdump_broken=(
            "kexec -p cannot find _text in the arm64 guest ('Can't get the symbol of _text to "
            "calculate page_offset'), so its ELF core header lacks the kernel text and both "
            "vmcore-dmesg and makedumpfile fail ('No program header covering vaddr'); seen with "
            "bookworm's and trixie's kexec-tools; with nokaslr kexec -p fails earlier "
            "('setup_2nd_dtb failed')"
        ),
    ),
    "ppc64el": ArchProfile(
        name="ppc64el",
        qemu="qemu-system-ppc64",
        machine=("-M", "pseries"),
        tcg_cpu="power9",
        console="hvc0",
        triplet="powerpc64le-linux-gnu",
        kernel_arch="powerpc",
        qemu_package="qemu-system-ppc",
        kdump_broken=CONSOLE_ONLY,
        image="vmlinux",
    ),
    "s390x": ArchProfile(
        name="s390x",
        qemu="qemu-system-s390x",
        machine=("-M", "s390-ccw-virtio"),
        tcg_cpu="max",
        console="ttysclp0",
        triplet="s390x-linux-gnu",
        kernel_arch="s390",
        qemu_package="qemu-system-misc",
        kdump_broken=CONSOLE_ONLY,
    ),
}
HOST_ARCH = "amd64"


@dataclass(frozen=True)
class KernelSpec:
    """A Debian kernel flavour from one suite (other suites build via toolchain.py)."""

    id: str
    suite: str
    arch: str = "amd64"
    flavour: str = ""  # the linux-image-FLAVOUR metapackage; the arch's own by default
    console_only: str = ""  # why this kernel gets no kdump in the lab (besides its arch's reason)
    crashkernel: str = "256M"
    modules: tuple[str, ...] = ("virtio_pci", "9pnet_virtio", "9p")
    series: str = ""  # a moving suite's (sid's) kernel series this id stands for, e.g. 7.2

    @property
    def image_meta(self) -> str:
        return f"linux-image-{self.flavour or self.arch}"

    @property
    def profile(self) -> ArchProfile:
        return ARCHES[self.arch]

    @property
    def no_kdump(self) -> str:
        """Why the lab keeps console logs only for this kernel, or "" when it dumps."""
        return self.console_only or self.profile.kdump_broken

    @property
    def foreign_arch(self) -> bool:
        return self.arch != HOST_ARCH


KERNELS: tuple[KernelSpec, ...] = (
    KernelSpec(id="deb12-6.1", suite="bookworm"),
    KernelSpec(id="deb13-6.12", suite="trixie"),
    KernelSpec(id="deb11-5.10", suite="bullseye"),
    KernelSpec(id="sid-7.2", suite="sid", series="7.2"),
    KernelSpec(id="deb12-6.1-arm64", suite="bookworm", arch="arm64"),
    KernelSpec(
        id="deb12-6.1-rt",
        suite="bookworm",
        flavour="rt-amd64",
        console_only=(
            "PREEMPT_RT prints the console from a kthread: with kdump armed an oops kexecs into the "
            "capture kernel before the console shows it (only vmcore-dmesg.txt has the crash)"
        ),
    ),
    KernelSpec(id="deb12-6.1-ppc64el", suite="bookworm", arch="ppc64el", flavour="powerpc64le"),
    KernelSpec(id="deb12-6.1-s390x", suite="bookworm", arch="s390x"),
    KernelSpec(id="deb13-6.12-arm64", suite="trixie", arch="arm64"),
    KernelSpec(id="sid-7.2-arm64", suite="sid", arch="arm64", series="7.2"),
    KernelSpec(id="sid-7.2-ppc64el", suite="sid", arch="ppc64el", flavour="powerpc64le", series="7.2"),
)

KERNELS_BY_ID: dict[str, KernelSpec] = {k.id: k for k in KERNELS}
DEFAULT_KERNEL = KERNELS[0].id


def kernel_named(name: str) -> KernelSpec:
    """Find a kernel by id (deb12-6.1) or by suite (bookworm, the amd64 flavour)."""
    for spec in KERNELS:
        if name == spec.id or (name == spec.suite and not spec.foreign_arch):
            return spec
    known = ", ".join(f"{k.id} ({k.suite}, {k.arch})" for k in KERNELS)
    raise KeyError(f"unknown kernel {name!r}; known: {known}")
