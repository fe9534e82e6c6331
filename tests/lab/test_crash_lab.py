"""Real crashes through the lab: the dump directories look like kdump's."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

RHEL_DIR = re.compile(r"^127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d$")


def _no_stray_qemu() -> bool:
    out = subprocess.run(["ps", "-eo", "ppid=,comm="], capture_output=True, text=True).stdout
    mine = str(os.getpid())
    return not any(line.split()[0] == mine and "qemu" in line for line in out.splitlines() if line.strip())


@pytest.mark.lab
def test_null_deref_gives_rhel_dump_dir(crash_lab, tmp_path: Path) -> None:
    crash_dir = tmp_path / "crash"
    result = crash_lab.crash("null-deref", crash_dir, mem="768M", cpus=1)

    assert result.dump_dir is not None, result.notes
    assert result.dump_dir.parent == crash_dir
    assert RHEL_DIR.match(result.dump_dir.name)
    assert sorted(p.name for p in result.dump_dir.iterdir()) == ["vmcore", "vmcore-dmesg.txt"]
    with (result.dump_dir / "vmcore").open("rb") as vmcore:
        assert vmcore.read(8) == b"KDUMP   "
    text = (result.dump_dir / "vmcore-dmesg.txt").read_text(errors="replace")
    assert "BUG: kernel NULL pointer dereference" in text
    assert re.search(r"RIP: 0010:lab_trigger_null_deref\+0x", text)
    assert "Kdump: loaded" in text
    assert result.reproduced and result.dump_complete
    assert result.console_log.read_text(errors="replace").startswith("[    0.000000] Linux version")
    assert _no_stray_qemu()


@pytest.mark.lab
def test_vmcore_only_dump_has_no_log(crash_lab, tmp_path: Path) -> None:
    result = crash_lab.crash("sysrq", tmp_path, dmesg=False, cpus=2, delay=2)

    assert result.dump_dir is not None, result.notes
    assert [p.name for p in result.dump_dir.iterdir()] == ["vmcore"]
    assert result.dump_complete


@pytest.mark.lab
def test_debian_layout_has_stamp_names_and_flat_dump(crash_lab, tmp_path: Path) -> None:
    result = crash_lab.crash("bug", tmp_path, layout="debian")

    assert result.dump_dir is not None, result.notes
    stamp = result.dump_dir.name
    assert re.fullmatch(r"\d{12}", stamp)
    assert sorted(p.name for p in result.dump_dir.iterdir()) == [f"dmesg.{stamp}", f"dump.{stamp}"]
    with (result.dump_dir / f"dump.{stamp}").open("rb") as dump:
        assert dump.read(12) == b"makedumpfile"
    text = (result.dump_dir / f"dmesg.{stamp}").read_text(errors="replace")
    assert "kernel BUG at kcrashd_lab_main.c" in text
    assert "lab_trigger_bug+0x" in text
