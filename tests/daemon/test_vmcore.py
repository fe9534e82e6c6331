"""vmcore facts from headers only: crafted headers of every format, corrupt and truncated
variants, a 64 GiB sparse file, and the crash lab's real vmcores when they are cached."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kcrashd.sources.vmcore import read_vmcore_facts
from tests.daemon.dumps import elf_core, flattened, kdump_file, kdump_header, vmcoreinfo
from tests.lab.fixture import CrashLab


def write(tmp_path: Path, data: bytes, name: str = "vmcore") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_kdump_compressed_header(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, kdump_file()))
    assert facts.format == "kdump-compressed"
    assert facts.hostname == "web1.example.com"
    assert facts.kernel_release == "5.14.0-427.el9.x86_64"
    assert facts.crash_time == datetime.fromtimestamp(1750663386, UTC)
    assert facts.machine == "x86_64"
    assert facts.complete and not facts.truncated
    assert "lzo" in facts.flags
    assert facts.expected_size == 4 * 4096


def test_kdump_big_endian(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, kdump_header(big_endian=True, nodename="z15") + bytes(8192)))
    assert facts.hostname == "z15" and facts.kernel_release == "5.14.0-427.el9.x86_64"


def test_kdump_incomplete_flag(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, kdump_file(status=0x2 | 0x8)))
    assert not facts.complete
    assert "incomplete-flag" in facts.flags


def test_kdump_truncated_before_bitmaps(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, kdump_file(size_blocks=2)))
    assert facts.truncated and not facts.complete
    assert facts.size == 8192 and facts.expected_size == 16384


def test_kdump_header_cut_short(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, kdump_header()[:300]))
    assert facts.format == "kdump-compressed"
    assert not facts.complete and facts.error


def test_flattened_with_and_without_end_marker(tmp_path: Path) -> None:
    inner = kdump_file(nodename="db7")
    done = read_vmcore_facts(write(tmp_path, flattened(inner), "vmcore.flat"))
    assert done.format == "flattened" and done.hostname == "db7" and done.complete
    assert done.crash_time == datetime.fromtimestamp(1750663386, UTC)
    cut = read_vmcore_facts(write(tmp_path, flattened(inner, end_marker=False), "dump.202401051032"))
    assert not cut.complete and "no-end-marker" in cut.flags
    assert cut.hostname == "db7"  # the header is still readable


def test_flattened_elf(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, flattened(elf_core())))
    assert facts.format == "flattened-elf"
    assert facts.kernel_release == "5.14.0-427.el9.x86_64"


def test_elf_vmcoreinfo_and_truncation(tmp_path: Path) -> None:
    core = elf_core(loads=((4096, 8192),))
    whole = read_vmcore_facts(write(tmp_path, core + bytes(4096 + 8192 - len(core))))
    assert whole.format == "elf" and whole.complete and whole.kernel_release == "5.14.0-427.el9.x86_64"
    assert whole.crash_time == datetime.fromtimestamp(1750663386, UTC)
    short = read_vmcore_facts(write(tmp_path, core + bytes(100), "short"))
    assert short.truncated and not short.complete and short.expected_size == 4096 + 8192


def test_elf_incomplete_flag(tmp_path: Path) -> None:
    facts = read_vmcore_facts(write(tmp_path, elf_core(e_flags=1)))
    assert not facts.complete and "incomplete-flag" in facts.flags


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"", "empty"),
        (os.urandom(5000), "unknown"),
        (b"\x1f\x8b\x08" + os.urandom(100), "gzip-wrapped"),
        (b"\x7fELF" + os.urandom(60), "elf"),
        (b"KDUMP   " + b"\xff" * 600, "kdump-compressed"),
        (b"makedumpfile\0\0\0\0" + b"\x00" * 16 + b"\x80" * 5000, "flattened"),
        (vmcoreinfo(), "unknown"),
    ],
)
def test_junk_never_raises(tmp_path: Path, data: bytes, fmt: str) -> None:
    facts = read_vmcore_facts(write(tmp_path, data))
    assert facts.format == fmt


def test_symlink_and_fifo_refused(tmp_path: Path) -> None:
    target = write(tmp_path, kdump_file(), "real")
    (tmp_path / "link").symlink_to(target)
    assert read_vmcore_facts(tmp_path / "link").format == "unreadable"
    os.mkfifo(tmp_path / "fifo")
    assert read_vmcore_facts(tmp_path / "fifo").format == "unreadable"


def test_cost_does_not_depend_on_size(tmp_path: Path) -> None:
    """A 64 GiB sparse vmcore: only the header and the tail are read."""
    path = tmp_path / "vmcore"
    with path.open("wb") as stream:
        stream.write(kdump_header())
        stream.truncate(64 * 2**30)
    start = time.perf_counter()
    facts = read_vmcore_facts(path)
    elapsed = time.perf_counter() - start
    assert facts.size == 64 * 2**30 and facts.complete
    assert elapsed < 1.0  # generous: it reads a few KiB


@pytest.mark.lab
def test_real_kdump_vmcore_from_the_crash_lab(crash_lab: CrashLab, tmp_path: Path) -> None:
    """A vmcore written by a real capture kernel (makedumpfile -l -d 31): the header's facts, its
    data end found from the page descriptors, and a truncated copy flagged as such."""
    started = datetime.now(UTC)
    result = crash_lab.crash("sysrq", tmp_path / "crash")
    assert result.vmcore is not None and result.vmcore.name == "vmcore", result
    facts = read_vmcore_facts(result.vmcore)
    assert facts.error is None, facts
    assert facts.format == "kdump-compressed"
    assert facts.kernel_release == result.release
    assert facts.crash_time is not None and abs((facts.crash_time - started).total_seconds()) < 600
    assert facts.complete and not facts.truncated
    assert facts.expected_size == facts.size
    cut = tmp_path / "cut-vmcore"
    with result.vmcore.open("rb") as src, cut.open("wb") as dst:
        dst.write(src.read(facts.size // 2))
    short = read_vmcore_facts(cut)
    assert short.truncated and not short.complete and "truncated" in short.flags


def test_opener_reads_the_open_file_not_the_path(tmp_path: Path) -> None:
    """The daemon hands an opener (relative to the folder's descriptor): the name given is only
    the label, and a path swapped for a symlink to another dump is never opened."""
    real = write(tmp_path, kdump_file(nodename="real"), "real")
    other = write(tmp_path, kdump_file(nodename="other"), "other")
    label = tmp_path / "vmcore"
    label.symlink_to(other)
    fd = os.open(real, os.O_RDONLY)
    try:
        facts = read_vmcore_facts(label, opener=lambda: os.dup(fd))
    finally:
        os.close(fd)
    assert facts.hostname == "real" and facts.path == str(label)

    def refuse() -> int:
        raise OSError(22, "symbolic link, not a regular file")

    assert read_vmcore_facts(label, opener=refuse).format == "unreadable"
