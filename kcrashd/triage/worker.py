"""The triage worker: a child process that analyses the logs its parent sends, one at a time.

Analysing a log is the one step whose cost the log's author controls, so it runs here, away from
the daemon's loop: the parent (kcrashd/triage/pool.py) gives each log a wall-clock deadline and
kills the worker when it overruns; the worker caps its own CPU time per log (RLIMIT_CPU) in case
the parent is gone. Started as `python -m kcrashd.triage.worker` (the daemon: its own threads make
forking unsafe) or forked from a single-threaded parent that already imported the core (`kcrashd
analyze -j`: no second start-up); it exits when its input closes.

Frames on the pipes (big-endian):
  rules     (started with `--rules`, once, first) length (u32), the operator's grouping rules as
            JSON (kcrashd.core.operator_rules.OperatorRules): every log is triaged with them
  request   timeout (f64, seconds; 0 = none), source length (u32), data length (u32), source, data
  response  length (u32), the report as JSON (docs/report-schema.md)
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import struct
import sys
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kcrashd.core.model import Report
    from kcrashd.core.operator_rules import OperatorRules

REQUEST = struct.Struct(">dII")
RESPONSE = struct.Struct(">I")
RULES = struct.Struct(">I")
RULES_FLAG = "--rules"  # the worker reads a rules frame before its first request
CPU_SLACK = 2  # seconds of CPU beyond the wall deadline: the parent's kill normally comes first
PR_SET_PDEATHSIG = 1


class Analyze(Protocol):
    """An analysis giving a report (kcrashd.core.analyze; tests pass slower ones from tests/)."""

    def __call__(self, data: bytes, *, source: str = "") -> Report: ...


class AnalyzeToJson(Protocol):
    """The analysis a worker runs, giving the report's JSON (docs/report-schema.md): the core's
    `analyze_json` needs no report model (`as_json` makes one of an `Analyze`)."""

    def __call__(self, data: bytes, *, source: str = "") -> bytes: ...


class ChildProcess(Protocol):
    """What the parent needs of a worker process (subprocess.Popen has it; so has ForkedChild)."""

    pid: int
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


class ForkedChild:
    """A worker forked from this process, wired like `subprocess.Popen(stdin=PIPE, stdout=PIPE)`.
    Only for single-threaded parents: a fork copies no other thread, nor the locks they hold."""

    def __init__(self, analyze: AnalyzeToJson) -> None:
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: stdin, stdout and stderr only, then serve until EOF
            code = 1
            try:
                os.dup2(to_child, 0)
                os.dup2(to_parent, 1)
                os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # other workers' pipes: their EOF is theirs
                code = serve(analyze)
            finally:
                os._exit(code)
        os.close(to_child)
        os.close(to_parent)
        self.stdin: IO[bytes] | None = open(from_parent, "wb")  # noqa: SIM115  (closed by the pool)
        self.stdout: IO[bytes] | None = open(from_child, "rb", buffering=0)  # noqa: SIM115
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None and self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        deadline = time.monotonic() + (timeout or 0.0)
        delay = 0.0005  # a worker whose input just closed is gone within a millisecond or two
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"worker {self.pid} still running")
            time.sleep(delay)
            delay = min(2 * delay, 0.005)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


@dataclass(frozen=True)
class Answer:
    """A log's report: the JSON a worker sent (parsed only when asked: `kcrashd analyze
    --format json` prints it as it is), or a report made here (timed out, worker died, or analysed
    in the parent: `kcrashd analyze -j 1`)."""

    payload: bytes | None = None
    made: Report | None = None

    def report(self) -> Report:
        if self.made is not None:
            return self.made
        from kcrashd.core.model import Report

        assert self.payload is not None
        return Report.model_validate_json(self.payload)

    def json(self) -> str:
        if self.payload is not None:
            return self.payload.decode()
        assert self.made is not None
        return self.made.model_dump_json()


def encode_request(data: bytes, source: str, timeout: float | None) -> bytes:
    name = source.encode("utf-8", "surrogateescape")
    return REQUEST.pack(timeout or 0.0, len(name), len(data)) + name + data


def read_exact(fd: int, count: int) -> bytes | None:
    """`count` bytes from `fd`, or None at end of input."""
    chunks: list[bytes] = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_request(fd: int) -> tuple[bytes, str, float] | None:
    """(data, source, timeout) of the next request, or None when the parent closed the pipe."""
    head = read_exact(fd, REQUEST.size)
    if head is None:
        return None
    timeout, name_len, data_len = REQUEST.unpack(head)
    body = read_exact(fd, name_len + data_len)
    if body is None:
        return None
    return body[name_len:], body[:name_len].decode("utf-8", "surrogateescape"), timeout


def encode_rules(rules: OperatorRules) -> bytes:
    payload = rules.model_dump_json().encode()
    return RULES.pack(len(payload)) + payload


def read_rules(fd: int) -> OperatorRules | None:
    """The rules frame the parent sends first, or None when the parent closed the pipe."""
    from kcrashd.core.operator_rules import OperatorRules

    head = read_exact(fd, RULES.size)
    body = None if head is None else read_exact(fd, RULES.unpack(head)[0])
    return None if body is None else OperatorRules.model_validate_json(body)


def ruled_analyze(rules: OperatorRules | None) -> AnalyzeToJson:
    """The core's analysis with the operator's rules; without rules, written by the core itself
    (`analyze_json`: no report model is built, so no pydantic is loaded)."""
    if rules is None or rules.empty:
        from kcrashd.core import analyze_json

        def plain(data: bytes, *, source: str = "") -> bytes:
            return analyze_json(data, source=source).encode()

        return plain
    from kcrashd.core import analyze

    def ruled(data: bytes, *, source: str = "") -> Report:
        return analyze(data, source=source, rules=rules)

    return as_json(ruled)


def as_json(analyze: Analyze) -> AnalyzeToJson:
    """An analysis giving the JSON of the report `analyze` gives."""

    def run(data: bytes, *, source: str = "") -> bytes:
        return analyze(data, source=source).model_dump_json().encode()

    return run


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def limit_cpu(timeout: float) -> None:
    """Let this log use at most `timeout` (+ slack) more seconds of CPU; SIGXCPU ends the worker.
    Refused under a seccomp filter that denies @resources: the parent's deadline still holds."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime) + math.ceil(timeout) + CPU_SLACK
    with contextlib.suppress(OSError, ValueError):  # getrlimit too is prlimit64 in glibc
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def die_with_parent() -> None:
    """SIGKILL this worker when the process that started it dies (it may be busy in a regex)."""
    import ctypes  # here: `kcrashd analyze -j 1` imports this module and never starts a worker

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def serve(analyze: AnalyzeToJson | None = None, *, with_rules: bool = False) -> int:
    """Answer requests from stdin on stdout until stdin closes. Anything else written to stdout
    (a stray print) goes to stderr instead, so it can never corrupt a frame. `with_rules`: the
    first frame holds the operator's rules, used with the core's analysis."""
    die_with_parent()
    # systemd's stop (SIGTERM to the whole unit) and a Ctrl-C reach the parent, which stops us: a
    # worker ending on its own would make its log look like one that kills workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if analyze is None:
        rules = read_rules(0) if with_rules else None
        if with_rules and rules is None:
            return 0
        analyze = ruled_analyze(rules)
    out = os.dup(1)
    os.dup2(2, 1)
    while True:
        request = read_request(0)
        if request is None:
            return 0
        data, source, timeout = request
        if timeout > 0:
            limit_cpu(timeout)
        payload = analyze(data, source=source)
        write_all(out, RESPONSE.pack(len(payload)) + payload)


if __name__ == "__main__":
    sys.exit(serve(with_rules=RULES_FLAG in sys.argv[1:]))
