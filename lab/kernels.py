"""The Debian kernels the lab boots, as a table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KernelSpec:
    """A Debian kernel flavour from one suite (other suites build via toolchain.py)."""

    id: str
    suite: str
    image_meta: str = "linux-image-amd64"
    headers_meta: str = "linux-headers-amd64"
    arch: str = "amd64"
    crashkernel: str = "256M"
    modules: tuple[str, ...] = ("virtio_pci", "9pnet_virtio", "9p")


KERNELS: tuple[KernelSpec, ...] = (
    KernelSpec(id="deb12-6.1", suite="bookworm"),
    KernelSpec(id="deb13-6.12", suite="trixie"),
    KernelSpec(id="deb11-5.10", suite="bullseye"),
)

KERNELS_BY_ID: dict[str, KernelSpec] = {k.id: k for k in KERNELS}
DEFAULT_KERNEL = KERNELS[0].id


def kernel_named(name: str) -> KernelSpec:
    """Find a kernel by id (deb12-6.1) or by suite (bookworm)."""
    for spec in KERNELS:
        if name in (spec.id, spec.suite):
            return spec
    known = ", ".join(f"{k.id} ({k.suite})" for k in KERNELS)
    raise KeyError(f"unknown kernel {name!r}; known: {known}")
