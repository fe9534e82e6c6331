"""Fixtures of the packaging tests: the repository, scratch roots for systemd-analyze."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd/kcrashd.service"
HOST_UNITS = Path("/usr/lib/systemd/system")


def need_tool(name: str) -> str:
    """Path of a tool, or skip the test with a one-line reason."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (tests/packaging/apt-packages.txt)")
    return path


@pytest.fixture
def unit_root(tmp_path: Path) -> Path:
    """A root for `systemd-analyze verify --root=`: the host's units plus ours and stub binaries."""
    need_tool("systemd-analyze")
    if not HOST_UNITS.is_dir():
        pytest.skip("no /usr/lib/systemd/system on this host")
    root = tmp_path / "root"
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    for binary in ("usr/bin/kcrashd", "bin/kill", "usr/bin/kill"):
        stub = root / binary
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    shutil.copyfile(UNIT, root / "usr/lib/systemd/system/kcrashd.service")
    return root
