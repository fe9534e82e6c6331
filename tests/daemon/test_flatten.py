"""Flattened vmcores read through (kcrashd.sources.flatten): the end record of bare and compressed
streams, rearranging one into the regular dump makedumpfile reads, the refusals (size cap, time,
free space, a missing lz4), the pipeline's use of both, and a real kdump-tools dump from the
crash lab."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kcrashd.core import analyze
from kcrashd.daemon.service import scan_once
from kcrashd.model.crash import VmcoreFacts
from kcrashd.sources.flatten import SPACE_RESERVE, StreamError, check_stream, walk_stream
from kcrashd.sources.units import scan_all
from kcrashd.sources.vmcore import open_nofollow, read_vmcore_facts
from tests.daemon.dumps import elf_core, flattened, kdump_file, log_bytes, write_file
from tests.daemon.test_pipeline import Rig
from tests.fixtures.journald import enter_namespace
from tests.lab.fixture import CrashLab, CrashResult

GIB = 2**30
WRAPPERS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": lambda data: bz2.compress(data, 1),
    "xz": lambda data: lzma.compress(data, preset=1),
}


def inner_dump(extra: int = 256 * 1024, nodename: str = "db7") -> bytes:
    """A kdump-compressed file with incompressible page data after its headers."""
    return kdump_file(nodename=nodename) + random.Random(7).randbytes(extra)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def walk(path: Path, *, out: Path | None = None, limit: int = GIB, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    fd = open_nofollow(path)
    try:
        return walk_stream(fd, read_vmcore_facts(path), limit=limit, timeout=timeout, tick=lambda: None, out=out)
    finally:
        os.close(fd)


def check(path: Path, *, limit: int = GIB) -> VmcoreFacts:
    fd = open_nofollow(path)
    try:
        return check_stream(fd, read_vmcore_facts(path), limit=limit, timeout=60.0, tick=lambda: None)
    finally:
        os.close(fd)


# --- one pass over a stream --------------------------------------------------------------------


def test_complete_stream_rearranged_byte_for_byte(tmp_path: Path) -> None:
    inner = inner_dump()
    ticks: list[None] = []
    path = write(tmp_path, "dump.202401051032", flattened(inner, chunk=3000))
    out = tmp_path / "rearranged"
    fd = open_nofollow(path)
    result = walk_stream(fd, read_vmcore_facts(path), limit=GIB, timeout=60.0, tick=lambda: ticks.append(None), out=out)
    os.close(fd)
    assert result.finished and result.problem is None
    assert out.read_bytes() == inner
    assert result.data_end == result.data_bytes == len(inner)
    assert result.facts.complete and not result.facts.truncated
    assert result.facts.hostname == "db7" and "stream-checked" in result.facts.flags
    assert ticks  # the watchdog is fed during the pass


def test_records_land_at_their_offsets_leaving_holes(tmp_path: Path) -> None:
    """Records out of order and far apart: the rearranged file is sparse, not 4 GiB of zeros."""
    head = kdump_file()
    stream = bytearray(flattened(b"", end_marker=False))
    far = 4 * GIB
    for offset, payload in ((far, b"tail" * 1024), (0, head)):
        stream += struct.pack(">qq", offset, len(payload)) + payload
    stream += b"\xff" * 16
    out = tmp_path / "rearranged"
    result = walk(write(tmp_path, "vmcore.flat", bytes(stream)), out=out, limit=8 * GIB)
    assert result.finished
    st = out.stat()
    assert st.st_size == far + 4096
    assert st.st_blocks * 512 < 1 << 20
    with out.open("rb") as stream_file:
        assert stream_file.read(len(head)) == head
        stream_file.seek(far)
        assert stream_file.read(8) == b"tailtail"


def test_truncated_stream(tmp_path: Path) -> None:
    data = flattened(inner_dump(), end_marker=False)
    out = tmp_path / "rearranged"
    result = walk(write(tmp_path, "dump.202401051032", data[: len(data) - 5000]), out=out)
    assert not result.finished
    assert result.problem is not None and result.problem.startswith("no end record: the flattened stream stops after")
    assert result.facts.truncated and not result.facts.complete and "no-end-marker" in result.facts.flags
    assert result.facts.hostname == "db7"  # the header came before the cut
    assert 0 < out.stat().st_size < len(data)  # what came before the cut is rearranged


def test_corrupt_record(tmp_path: Path) -> None:
    data = bytearray(flattened(inner_dump(), chunk=4096))
    at = 4096 + 3 * (16 + 4096)
    struct.pack_into(">qq", data, at, 12288, -5)
    result = walk(write(tmp_path, "vmcore.flat", bytes(data)))
    assert not result.finished and result.facts.truncated
    assert result.problem == f"corrupt flattened record at stream offset {at} (offset 12288, size -5)"


def test_not_a_flattened_stream_inside_the_wrapper(tmp_path: Path) -> None:
    facts = check(write(tmp_path, "dump.202401051032.gz", gzip.compress(elf_core())))
    assert not facts.complete and facts.error == "the gzip stream holds no makedumpfile flattened stream"


@pytest.mark.parametrize("ext", sorted(WRAPPERS))
def test_wrapped_complete_and_cut_short(tmp_path: Path, ext: str) -> None:
    name = {"gz": "gzip", "bz2": "bzip2", "xz": "xz"}[ext]
    packed = WRAPPERS[ext](flattened(inner_dump()))
    header_only = read_vmcore_facts(write(tmp_path, f"dump.202401051032.{ext}", packed))
    assert header_only.format == f"{name}-wrapped" and header_only.flags == ["wrapped"]

    whole = check(tmp_path / f"dump.202401051032.{ext}")
    assert whole.complete and not whole.truncated and whole.error is None, whole
    assert whole.format == f"{name}-wrapped" and whole.hostname == "db7"
    assert {"wrapped", "flattened", "stream-checked"} <= set(whole.flags)

    half = check(write(tmp_path, f"half.{ext}", packed[: len(packed) // 2]))
    assert not half.complete and half.truncated and "no-end-marker" in half.flags
    assert half.error is not None and half.error.startswith(f"the {name} stream is cut short after")

    # the stream inside ends with its end record, the wrapper's own end is missing
    tail = check(write(tmp_path, f"tail.{ext}", packed[:-4]))
    assert not tail.complete and tail.truncated
    assert tail.error is not None and f"the {name} stream is " in tail.error


def test_a_stream_that_ends_but_was_never_finished_inside(tmp_path: Path) -> None:
    """kdump-tools' pipeline when makedumpfile died: gzip ends cleanly around a cut stream."""
    data = flattened(inner_dump(), end_marker=False)
    facts = check(write(tmp_path, "dump.202401051032.gz", gzip.compress(data[: len(data) // 2])))
    assert facts.truncated and facts.error is not None and facts.error.startswith("no end record")


def test_lz4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = flattened(inner_dump())
    raw = write(tmp_path, "plain", stream)
    if shutil.which("lz4"):
        packed = subprocess.run(["lz4", "-q", "-c", str(raw)], capture_output=True, check=True).stdout
        assert check(write(tmp_path, "dump.202401051032.lz4", packed)).complete
        cut = check(write(tmp_path, "cut.lz4", packed[: len(packed) // 2]))
        assert cut.truncated and cut.error is not None and cut.error.startswith("the lz4 stream is cut short or corrupt")
    else:
        write(tmp_path, "dump.202401051032.lz4", b"\x04\x22\x4d\x18" + bytes(100))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = check(tmp_path / "dump.202401051032.lz4")
    assert missing.complete and "stream-unchecked" in missing.flags
    assert missing.error == "end not checked: cannot unwrap lz4: lz4 not installed"


def test_memory_does_not_grow_with_the_stream(tmp_path: Path) -> None:
    """256 MiB of stream inside gzip, read through in a fresh interpreter: its peak RSS grows by
    the chunks only, not by the dump."""
    path = tmp_path / "dump.202401051032.gz"
    zeros = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as packed:
        packed.write(flattened(kdump_file(), end_marker=False))
        for index in range(256):
            offset = len(kdump_file()) + index * len(zeros)
            packed.write(struct.pack(">qq", offset, len(zeros)) + zeros)
        packed.write(b"\xff" * 16)
    code = (
        "import resource, sys; from pathlib import Path; from kcrashd.sources.flatten import check_stream; "
        "from kcrashd.sources.vmcore import open_nofollow, read_vmcore_facts; path = Path(sys.argv[1]); "
        "facts = read_vmcore_facts(path); fd = open_nofollow(path); "
        "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; before = peak(); "
        "done = check_stream(fd, facts, limit=2**31, timeout=120, tick=lambda: None); "
        "print(done.complete, (peak() - before) // 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    complete, growth_mib = out.stdout.split()
    assert complete == "True", out.stderr
    assert int(growth_mib) < 24, out.stdout


# --- refusals ------------------------------------------------------------------------------------


def test_size_cap(tmp_path: Path) -> None:
    data = flattened(inner_dump())
    with pytest.raises(StreamError, match=r"larger than sources.max_rearrange_bytes \(64.0 KiB\)"):
        walk(write(tmp_path, "vmcore.flat", data), limit=64 * 1024, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything was written
    capped = check(write(tmp_path, "dump.202401051032.xz", lzma.compress(data)), limit=64 * 1024)
    assert capped.complete and not capped.truncated and "stream-unchecked" in capped.flags
    assert capped.error == "end not checked: the flattened stream is larger than sources.max_rearrange_bytes (64.0 KiB)"


def test_time_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "vmcore.flat", flattened(inner_dump()))
    with pytest.raises(StreamError, match=r"took longer than sources.makedumpfile_timeout \(0 s\)"):
        walk(path, timeout=0.0)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs with 8 MiB more than the space the rearranging leaves free (private mount namespace)."""
    why = enter_namespace()
    if why:
        pytest.skip(why)
    mount = tmp_path / "small"
    mount.mkdir()
    size = SPACE_RESERVE + (8 << 20)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_not_enough_space(tmp_path: Path, small_disk: Path) -> None:
    big = flattened(kdump_file() + random.Random(1).randbytes(12 << 20))
    bare = write(tmp_path, "vmcore.flat", big)
    with pytest.raises(StreamError, match=r"not enough free space in .*small to rearrange the vmcore \(12\.\d MiB needed"):
        walk(bare, out=small_disk / "bare")
    assert not (small_disk / "bare").exists()  # refused up front: the stream's size is known
    packed = write(tmp_path, "dump.202401051032.gz", gzip.compress(big, compresslevel=1))
    with pytest.raises(StreamError, match=r"^not enough free space in .*small to rearrange the vmcore$"):
        walk(packed, out=small_disk / "packed")  # found while writing: a wrapper hides the size


# --- the pipeline ------------------------------------------------------------------------------


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def debian_folder(rig: Rig, stamp: str, dump_name: str, dump: bytes, log: bytes | None = None) -> Path:
    """kdump-config savecore: dmesg.<STAMP> (unless it failed), dump-incomplete -> final name."""
    folder = rig.dumps / stamp
    folder.mkdir()
    if log is not None:
        write_file(folder / f"dmesg.{stamp}", log)
    write_file(folder / "dump-incomplete", dump, 0o644)
    os.rename(folder / "dump-incomplete", folder / dump_name)
    return folder


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}


def row_of(rig: Rig, folder: Path):  # type: ignore[no-untyped-def]
    row = rig.store.find(str(folder), os.lstat(folder).st_ino)
    assert row is not None
    return row


def test_wrapped_dump_checked_after_its_entry(rig: Rig) -> None:
    """§3.5: the journal entry does not wait for the decompression; the state then says it."""
    data = flattened(inner_dump(nodename="web3"), end_marker=False)
    cut = debian_folder(rig, "202401051032", "dump.202401051032.gz", gzip.compress(data[:-9000]), log_bytes())
    whole = debian_folder(rig, "202401051033", "dump.202401051033.gz", gzip.compress(flattened(inner_dump())), log_bytes())
    before = {f: listing(f) for f in (cut, whole)}
    outcomes = [rig.pipeline.handle(unit) for unit in scan_all(rig.config.sources)]
    assert [o.action for o in outcomes] == ["journaled", "journaled"]
    assert all(o.retry_at is not None for o in outcomes)  # come back to read the stream through
    assert [e["KCRASHD_VMCORE_STATE"] for e in rig.journal.entries] == ["complete", "complete"]
    assert rig.scan() == ["updated", "updated"]
    assert rig.scan() == ["known", "known"]  # read through once per size
    assert len(rig.journal.entries) == 2

    truncated = row_of(rig, cut)
    assert truncated.vmcore_state == "truncated"
    assert truncated.record.vmcore.truncated and truncated.record.vmcore.hostname == "web3"
    assert "vmcore truncated: no end record: the flattened stream stops after" in "; ".join(truncated.record.problems)
    fine = row_of(rig, whole)
    assert fine.vmcore_state == "complete" and "stream-checked" in fine.record.vmcore.flags
    assert {f: listing(f) for f in (cut, whole)} == before
    assert not (rig.state / "tmp").exists()  # a check writes nothing


def test_scan_checks_a_wrapped_dump_in_the_same_pass(rig: Rig) -> None:
    """`kcrashd scan` runs once (a timer or by hand): the read-through comes after every entry of
    its pass, not on some later run."""
    cut = debian_folder(rig, "202401051032", "dump.202401051032.gz",
                        gzip.compress(flattened(inner_dump(), end_marker=False)), log_bytes())  # fmt: skip
    rig.close()
    totals = scan_once(rig.config, rig.journal)
    rig.open()
    assert totals == {"journaled": 1} and len(rig.journal.entries) == 1
    row = row_of(rig, cut)
    assert row.vmcore_state == "truncated" and "stream-checked" in row.record.vmcore.flags


def test_no_log_flattened_dump_is_rearranged_privately(rig: Rig) -> None:
    """Synthetic dumps hold no kernel log buffer: makedumpfile runs on the rearranged file and
    says so; a truncated stream makes the crash incomplete with its reason."""
    if shutil.which("makedumpfile") is None:
        pytest.skip("makedumpfile not installed")
    data = flattened(inner_dump())
    whole = debian_folder(rig, "202401051032", "dump.202401051032", data)
    cut = debian_folder(rig, "202401051033", "dump.202401051033.xz", lzma.compress(data)[:-3000])
    stale = rig.state / "tmp" / "vmcore-left-by-a-kill"
    stale.mkdir(parents=True)
    (stale / "vmcore").write_bytes(b"x" * 4096)
    before = {f: listing(f) for f in (whole, cut)}
    assert rig.scan() == ["journaled", "journaled"]
    first, second = rig.journal.entries
    assert "makedumpfile --dump-dmesg failed" in first["KCRASHD_PROBLEMS"]
    assert "cannot read a flattened" not in first["KCRASHD_PROBLEMS"]
    assert first["KCRASHD_VMCORE_STATE"] == "complete" and "stream-checked" in first["KCRASHD_VMCORE_FLAGS"]
    assert second["KCRASHD_VMCORE_STATE"] == "truncated" and second["KCRASHD_INCOMPLETE"] == "1"
    assert "vmcore truncated: the xz stream is cut short after" in second["KCRASHD_PROBLEMS"]
    assert second["KCRASHD_VMCORE_HOST"] == "db7"  # read from the decompressed header
    assert {f: listing(f) for f in (whole, cut)} == before
    assert list((rig.state / "tmp").iterdir()) == []  # the stale leftover too
    assert rig.scan() == ["known", "known"]


def test_no_space_to_rearrange_is_a_clear_note(rig: Rig, small_disk: Path) -> None:
    (rig.state / "tmp").symlink_to(small_disk)  # the state folder's tmp on a small disk
    debian_folder(rig, "202401051032", "dump.202401051032", flattened(kdump_file() + bytes(16 << 20)))
    assert rig.scan() == ["journaled"]
    entry = rig.journal.entries[0]
    assert entry["KCRASHD_INCOMPLETE"] == "1" and entry["KCRASHD_LOG_ORIGIN"] == "none"
    assert "no kernel log: the flattened vmcore was not rearranged: not enough free space in" in entry["KCRASHD_PROBLEMS"]
    assert list(small_disk.iterdir()) == []


def test_the_idle_daemon_does_not_import_the_stream_reader() -> None:
    code = "import sys, kcrashd.daemon.service, kcrashd.pipeline; print('kcrashd.sources.flatten' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# --- a real dump -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def debian_dump(crash_lab: CrashLab, tmp_path_factory: pytest.TempPathFactory) -> CrashResult:
    """One real crash in kdump-tools' layout (dmesg.<STAMP> + flattened dump.<STAMP>), shared."""
    started = time.monotonic()
    result = crash_lab.crash("sysrq", tmp_path_factory.mktemp("debian-crash"), layout="debian")
    assert result.vmcore is not None and result.dmesg is not None, result
    result.timings["test_fixture_s"] = round(time.monotonic() - started, 1)
    return result


@pytest.mark.lab
def test_real_flattened_dump_without_its_log(debian_dump: CrashResult, rig: Rig) -> None:
    """The real dump alone, bare, gzip-wrapped and cut in half: the log comes from the vmcore."""
    assert debian_dump.vmcore is not None and debian_dump.dmesg is not None
    real = debian_dump.vmcore.read_bytes()
    assert real.startswith(b"makedumpfile")
    expected = analyze(debian_dump.dmesg.read_bytes(), source="dmesg")
    folders = {
        "bare": debian_folder(rig, "202401051032", "dump.202401051032", real),
        "gzip": debian_folder(rig, "202401051033", "dump.202401051033.gz", gzip.compress(real, compresslevel=1)),
        "cut": debian_folder(rig, "202401051034", "dump.202401051034", real[: len(real) // 2]),
    }
    before = {name: listing(folder) for name, folder in folders.items()}
    started = time.monotonic()
    assert rig.scan() == ["journaled"] * 3
    elapsed = time.monotonic() - started
    entries = {entry["KCRASHD_DUMP_DIR"]: entry for entry in rig.journal.entries}
    for name in ("bare", "gzip"):
        entry = entries[str(folders[name])]
        assert entry["KCRASHD_TITLE"] == expected.title, (name, entry)
        assert entry["KCRASHD_FINGERPRINT"] == expected.fingerprint
        assert entry["KCRASHD_LOG_ORIGIN"] == "makedumpfile" and "KCRASHD_LOG_PATH" not in entry
        assert entry["KCRASHD_VMCORE_STATE"] == "complete" and entry["KCRASHD_INCOMPLETE"] == "0"
        assert entry["KCRASHD_VMCORE_KERNEL"] == debian_dump.release
        assert "kernel log recovered from the flattened vmcore (rearranged)" in entry["KCRASHD_PROBLEMS"]
    cut = entries[str(folders["cut"])]
    assert cut["KCRASHD_INCOMPLETE"] == "1" and cut["KCRASHD_VMCORE_STATE"] == "truncated"
    assert "vmcore truncated: no end record: the flattened stream stops after" in cut["KCRASHD_PROBLEMS"]
    assert {name: listing(folder) for name, folder in folders.items()} == before
    assert list((rig.state / "tmp").iterdir()) == []
    print(f"\nthree real dumps ({len(real) / 2**20:.1f} MiB) rearranged and triaged in {elapsed:.2f} s")


@pytest.mark.lab
def test_real_wrapped_dump_checked_after_its_entry(debian_dump: CrashResult, rig: Rig) -> None:
    """kdump-tools with KDUMP_COMPRESSION: a complete and a truncated `dump.<STAMP>.gz` beside the
    real dmesg; after the entry, the state says which one is truncated."""
    assert debian_dump.vmcore is not None and debian_dump.dmesg is not None
    real = debian_dump.vmcore.read_bytes()
    log = debian_dump.dmesg.read_bytes()
    whole = debian_folder(rig, "202401051032", "dump.202401051032.gz", gzip.compress(real, compresslevel=1), log)
    cut = debian_folder(rig, "202401051033", "dump.202401051033.gz", gzip.compress(real[: len(real) // 3], compresslevel=1), log)
    assert rig.scan() == ["journaled", "journaled"]
    assert rig.scan() == ["updated", "updated"]
    assert rig.scan() == ["known", "known"]
    assert row_of(rig, whole).vmcore_state == "complete"
    truncated = row_of(rig, cut)
    assert truncated.vmcore_state == "truncated" and truncated.record.vmcore.kernel_release == debian_dump.release
    assert any(p.startswith("vmcore truncated: no end record") for p in truncated.record.problems)


def test_stream_is_read_from_the_open_file_whatever_its_name_holds_now(tmp_path: Path) -> None:
    """The vmcore is handed over open (relative to its folder): replacing its name by a symlink to
    another stream while it is read changes nothing."""
    inner = inner_dump(nodename="real1")
    path = write(tmp_path, "vmcore.flat", flattened(inner))
    facts = read_vmcore_facts(path)
    fd = open_nofollow(path)
    try:
        decoy = write(tmp_path, "decoy", flattened(inner_dump(nodename="decoy")))
        path.unlink()
        path.symlink_to(decoy)
        result = walk_stream(fd, facts, limit=GIB, timeout=60.0, tick=lambda: None, out=tmp_path / "out")
    finally:
        os.close(fd)
    assert result.finished and (tmp_path / "out").read_bytes() == inner
    assert result.facts.hostname == "real1"
