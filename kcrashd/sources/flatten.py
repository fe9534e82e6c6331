"""Streams of makedumpfile's flattened format (`makedumpfile -F`; docs/dump-layouts.md §7, §8).

A flattened stream is a 4 KiB header that starts `makedumpfile\\0\\0\\0\\0`, then records of a
big-endian int64 offset, an int64 size and that many bytes of payload, closed by an end record
(offset = size = -1: sixteen 0xff bytes). Debian may wrap the whole stream in gzip, bzip2, xz or
lz4. One pass reads it in chunks, so memory does not grow with the dump, and checks that it ends
with the end record; asked to, it also writes each payload at its offset into a sparse file,
the regular dump that `makedumpfile -R` would rebuild and `makedumpfile --dump-dmesg` can read.

The cost is O(size): the header-only facts of kcrashd.sources.vmcore never wait for it.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import time
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from kcrashd.model.crash import VmcoreFacts
from kcrashd.sources.vmcore import (
    END_RECORD,
    FLAT_HEADER_SIZE,
    FLAT_SIGNATURE,
    READ_LIMIT,
    STREAM_CHECKED,
    STREAM_UNCHECKED,
    VmcoreError,
    stream_facts,
)

CHUNK = 1 << 20
HEAD = FLAT_HEADER_SIZE + READ_LIMIT  # the stream's first bytes, kept for the dump's header facts
SPACE_RESERVE = 64 << 20  # left free beside the state database
RECORD = struct.Struct(">qq")
# Errors a decompressor raises for a damaged stream (EOFError: cut short; bz2 says OSError).
WRAPPER_ERRORS = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


class StreamError(Exception):
    """The stream was not read to its end for a reason of kcrashd's own: the size cap, the time
    limit, free space, a missing tool, an unreadable file. The message is one line."""


class Damaged(Exception):
    """The stream itself ends early or is corrupt: the message says where."""


@dataclass(frozen=True)
class Walk:
    """What one pass over a stream found."""

    facts: VmcoreFacts
    finished: bool
    problem: str | None
    stream_bytes: int
    data_bytes: int
    data_end: int


def wrapper_of(facts: VmcoreFacts) -> str | None:
    """`gzip` for a `gzip-wrapped` vmcore; None for a bare flattened stream."""
    return facts.format.removesuffix("-wrapped") if facts.format.endswith("-wrapped") else None


def human(size: int) -> str:
    """A size for a one-line note."""
    if size < 1024:
        return f"{size} bytes"
    exponent = min(4, (size.bit_length() - 1) // 10)
    return f"{size / 1024**exponent:.1f} {('KiB', 'MiB', 'GiB', 'TiB')[exponent - 1]}"


def no_space(folder: Path) -> str:
    return f"not enough free space in {folder} to rearrange the vmcore"


def over_cap(limit: int) -> str:
    return f"the flattened stream is larger than sources.max_rearrange_bytes ({human(limit)})"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


# The standard library's decompressing readers, by wrapper name (docs/dump-layouts.md §7).
DECOMPRESSORS: dict[str, Callable[[IO[bytes]], gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bzip2": lambda raw: bz2.BZ2File(raw, "rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, "rb"),  # noqa: SIM115 (entered by the caller)
}


class Source:
    """The unwrapped stream: counted against the size cap and the deadline, the watchdog fed on
    every read, its first `HEAD` bytes kept, decompression errors turned into `Damaged`."""

    def __init__(
        self, fd: int, wrapper: str | None, *, limit: int, deadline: float, timeout: float,
        tick: Callable[[], None], stack: ExitStack,
    ) -> None:  # fmt: skip
        self.wrapper = wrapper
        self.limit = limit
        self.deadline = deadline
        self.timeout = timeout
        self.tick = tick
        self.count = 0
        self.head = bytearray()
        self.proc: subprocess.Popen[bytes] | None = None
        os.lseek(fd, 0, os.SEEK_SET)
        raw = stack.enter_context(io.BufferedReader(io.FileIO(fd, "rb", closefd=False), CHUNK))
        self.stream: Readable
        if wrapper is None:
            self.stream = raw
        elif wrapper in DECOMPRESSORS:
            self.stream = stack.enter_context(DECOMPRESSORS[wrapper](raw))
        elif wrapper == "lz4":
            tool = shutil.which("lz4")
            if tool is None:
                raise StreamError("cannot unwrap lz4: lz4 not installed")
            try:
                self.proc = subprocess.Popen(
                    [tool, "-d", "-c"], stdin=fd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=CHUNK,
                )  # fmt: skip
            except OSError as exc:
                raise StreamError(f"cannot run lz4: {exc.strerror or exc}") from None
            stack.callback(self.stop)
            assert self.proc.stdout is not None
            self.stream = self.proc.stdout
        else:
            raise StreamError(f"cannot unwrap {wrapper}")

    def read(self, size: int) -> bytes:
        """Up to `size` bytes; fewer only at the end of the stream."""
        self.tick()
        if time.monotonic() > self.deadline:
            raise StreamError(f"reading the stream took longer than sources.makedumpfile_timeout ({self.timeout:g} s)")
        try:
            data = self.stream.read(size)
        except WRAPPER_ERRORS as exc:
            raise Damaged(self.damage(exc)) from None
        except OSError as exc:
            if exc.errno is None:  # bz2: "Invalid data stream"
                raise Damaged(self.damage(exc)) from None
            raise StreamError(f"cannot read the vmcore: {exc.strerror or exc}") from None
        self.count += len(data)
        if self.count > self.limit:
            raise StreamError(over_cap(self.limit))
        if len(self.head) < HEAD:
            self.head += data[: HEAD - len(self.head)]
        return data

    def damage(self, exc: BaseException) -> str:
        what = "cut short" if isinstance(exc, EOFError) else f"corrupt ({exc})"
        return f"the {self.wrapper} stream is {what} after {self.count} bytes of the flattened stream"

    def finish(self) -> str | None:
        """The external decompressor's verdict once its output is at its end; None when the walk
        stopped before that (the walk's own problem stands)."""
        if self.proc is None:
            return None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        if self.proc.stdout.read(1):
            return None
        err = self.proc.stderr.read(4096)
        if self.proc.wait() == 0:
            return None
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return f"the lz4 stream is cut short or corrupt after {self.count} bytes of the flattened stream: " + (
            lines[-1][:200] if lines else f"lz4 exited with {self.proc.returncode}"
        )

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()


class SparseFile:
    """Payloads written at their offsets; what is never written stays a hole."""

    def __init__(self, fd: int, room: int, where: Path) -> None:
        self.fd = fd
        self.room = room
        self.where = where
        self.written = 0

    def write(self, offset: int, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.room:
            raise StreamError(no_space(self.where.parent))
        view = memoryview(data)
        try:
            while view:
                done = os.pwrite(self.fd, view, offset)
                view, offset = view[done:], offset + done
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StreamError(no_space(self.where.parent)) from None
            raise StreamError(f"cannot write {self.where}: {exc.strerror or exc}") from None


@dataclass
class Tally:
    """Payload bytes seen and the end of the data, kept when the walk stops early."""

    data_bytes: int = 0
    data_end: int = 0


def records(source: Source, sink: SparseFile | None, limit: int, tally: Tally) -> None:
    """Walk the records up to the end record. Raises Damaged."""
    header = source.read(FLAT_HEADER_SIZE)
    if not header.startswith(FLAT_SIGNATURE):
        wrapped = f"the {source.wrapper} stream" if source.wrapper else "the file"
        raise Damaged(f"{wrapped} holds no makedumpfile flattened stream")
    if len(header) < FLAT_HEADER_SIZE:
        raise Damaged(f"no end record: the flattened stream stops after {source.count} bytes")
    while True:
        at = source.count
        raw = source.read(RECORD.size)
        if raw == END_RECORD:
            return
        if len(raw) < RECORD.size:
            raise Damaged(f"no end record: the flattened stream stops after {source.count} bytes")
        offset, size = RECORD.unpack(raw)
        if offset < 0 or size < 0 or offset + size > limit:
            raise Damaged(f"corrupt flattened record at stream offset {at} (offset {offset}, size {size})")
        left = size
        while left:
            piece = source.read(min(left, CHUNK))
            if sink is not None and piece:
                sink.write(offset, piece)
            offset += len(piece)
            left -= len(piece)
            tally.data_bytes += len(piece)
            tally.data_end = max(tally.data_end, offset)
            if not piece:
                raise Damaged(f"no end record: the flattened stream stops after {source.count} bytes")


def walk_stream(
    fd: int, facts: VmcoreFacts, *, limit: int, timeout: float, tick: Callable[[], None],
    out: Path | None = None,
) -> Walk:  # fmt: skip
    """Read the open vmcore `fd` (named `facts.path`) whole once; with `out`, rearrange it into
    that new file. The descriptor is read from its start and not closed here.

    A stream that ends early or is corrupt gives `finished=False` and a one-line `problem`
    (with `out`, what came before is written). StreamError when it could not be read through.
    """
    wrapper = wrapper_of(facts)
    deadline = time.monotonic() + timeout
    path = Path(facts.path)
    with ExitStack() as stack:
        try:
            size = os.fstat(fd).st_size
        except OSError as exc:
            raise StreamError(f"cannot read the vmcore: {exc.strerror or exc}") from None
        if wrapper is None and size > limit:
            raise StreamError(over_cap(limit))
        sink = None if out is None else open_sparse(out, None if wrapper else size, stack)
        source = Source(fd, wrapper, limit=limit, deadline=deadline, timeout=timeout, tick=tick, stack=stack)
        problem: str | None = None
        tally = Tally()
        try:
            records(source, sink, limit, tally)
            if wrapper is not None:
                while source.read(CHUNK):  # the wrapper's own end (a gzip trailer, an xz index)
                    pass
        except Damaged as exc:
            problem = str(exc)
        problem = source.finish() or problem
        head = bytes(source.head)
        finished = problem is None
        try:
            found = stream_facts(
                path, size, lambda offset, length: head[offset : offset + length], finished=finished, wrapper=wrapper
            )
        except (VmcoreError, struct.error, ValueError) as exc:
            flags = ["wrapped"] * (wrapper is not None) + ["no-end-marker"] * (not finished)
            found = VmcoreFacts(
                path=str(path), format=facts.format, size=size, complete=False, truncated=not finished, flags=flags,
                error=str(exc),
            )  # fmt: skip
        update: dict[str, object] = {"flags": [*found.flags, STREAM_CHECKED]}
        if problem is not None:
            update.update(complete=False, truncated=True, error=problem)
        return Walk(
            facts=found.model_copy(update=update),
            finished=finished,
            problem=problem,
            stream_bytes=source.count,
            data_bytes=tally.data_bytes,
            data_end=tally.data_end,
        )


def open_sparse(out: Path, expected: int | None, stack: ExitStack) -> SparseFile:
    """The new file `out` (0600, never an existing one), after checking that the stream fits."""
    st = os.statvfs(out.parent)
    free = st.f_bavail * st.f_frsize
    room = free - SPACE_RESERVE
    if room <= 0 or (expected is not None and expected > room):
        needed = f"{human(expected)} needed, " if expected is not None else ""
        raise StreamError(f"{no_space(out.parent)} ({needed}{human(free)} free, {human(SPACE_RESERVE)} kept)")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    stack.callback(os.close, fd)
    return SparseFile(fd, room, out)


def check_stream(fd: int, facts: VmcoreFacts, *, limit: int, timeout: float, tick: Callable[[], None]) -> VmcoreFacts:
    """Facts of the open wrapped vmcore `fd` read to its end: complete only when the wrapper ends
    cleanly and the stream inside ends with the end record (docs/dump-layouts.md §8: kdump-tools
    can rename a truncated dump)."""
    try:
        return walk_stream(fd, facts, limit=limit, timeout=timeout, tick=tick).facts
    except StreamError as exc:
        return facts.model_copy(update={"flags": [*facts.flags, STREAM_UNCHECKED], "error": f"end not checked: {exc}"})
