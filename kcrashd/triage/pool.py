"""Triage in worker processes with a deadline: the daemon's loop and `kcrashd analyze -j` use it.

A pool of at most `size` workers (kcrashd/triage/worker.py), started when a log needs one and
stopped after `IDLE_EXIT` seconds without work, so an idle daemon holds no worker. A log still
being analysed after `timeout` seconds of wall time has its worker killed: its report says
"triage timed out after N s" and carries the report's headline (the first line holding a report
header, found by a linear literal scan), and the worker is replaced when the next log comes.
Nothing here blocks longer than the caller asks: the daemon selects on `fds()` and calls
`service()`, so watchdog pings and other dumps go on while one log is analysed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import subprocess
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kcrashd.triage.worker import (
    RESPONSE,
    RULES_FLAG,
    AnalyzeToJson,
    Answer,
    ChildProcess,
    ForkedChild,
    encode_request,
    encode_rules,
)

if TYPE_CHECKING:
    import logging

    from kcrashd.core.model import Report
    from kcrashd.core.operator_rules import OperatorRules


IDLE_EXIT = 10.0  # seconds a worker waits for the next log before it is stopped
START_GRACE = 2.0  # added to the deadline of a worker's first log: its start-up is not the log's cost
# Without a deadline (kcrashd analyze) a worker is sent up to DEPTH logs ahead, so it never waits
# for the parent; only as many bytes as the pipe holds, so that the parent never blocks writing.
DEPTH = 4
PIPE_ROOM = 60 * 1024
KEEP_RESULTS = 256  # finished reports waiting for their caller to ask again (bounded)
# analyze_in_order reads up to AHEAD logs per job (and AHEAD_BYTES of them) ahead of the one it
# hands out next, so that a slow log at the head of the line holds no other worker idle.
AHEAD = 16
AHEAD_BYTES = 64 * 1024 * 1024
# The largest log analyze_in_order's own process analyses itself (a few milliseconds: it hands out no log
# meanwhile, and its workers have only what was sent ahead, at most DEPTH logs and PIPE_ROOM bytes each).
HERE_BYTES = 256 * 1024
HEADLINE_CHARS = 200
WORKER = ("-m", "kcrashd.triage.worker")

Key = tuple[str, bytes]


def _log() -> logging.Logger:
    """This module's logger; logging is imported only when a log times out or kills its worker
    (`kcrashd analyze -j` starts without it)."""
    import logging

    return logging.getLogger(__name__)


class TriagePending(Exception):
    """The log is being analysed by a worker; the caller asks again later (`service()` counts
    finished logs in `completed`) or after `wait` seconds at the latest."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"triage running; ask again within {wait:.1f} s")
        self.wait = wait


def key_of(data: bytes, source: str) -> Key:
    """The identity of one analysis: the log's name and content."""
    import hashlib  # here: `kcrashd analyze -j` keys its logs by their place, not their hash

    return source, hashlib.sha256(data).digest()


def headline(data: bytes) -> str:
    """The first line holding a report header (the core's literal pre-filter), else ''."""
    from kcrashd.core.headers import HeaderScan

    scan = HeaderScan()
    scan.feed(data)
    candidates = scan.candidates()
    if not candidates:
        return ""
    start = candidates[0].start
    end = data.find(b"\n", start)
    line = data[start : end if end >= 0 else len(data)][: HEADLINE_CHARS * 4]
    return line.decode("utf-8", "replace").strip()[:HEADLINE_CHARS]


def timed_out_report(data: bytes, source: str, seconds: float) -> Report:
    """What is journaled for a log whose triage hit the deadline: unclassified, with its headline."""
    from kcrashd.core.model import Report, Severity

    reason = f"triage timed out after {seconds:g} s"
    return Report(
        source=source, kind="unknown", severity=Severity.ERROR, title=headline(data), corrupted=True,
        corrupted_reason=reason, error=reason,
    )  # fmt: skip


def failed_report(source: str, reason: str) -> Report:
    from kcrashd.core.model import Report, Severity

    return Report(source=source, kind="unknown", severity=Severity.ERROR, error=reason)


@dataclass
class Job:
    key: Key
    data: bytes
    source: str
    due: float = 0.0  # when the worker analysing it is killed (with a deadline)
    size: int = 0  # bytes of its request


@dataclass
class Worker:
    """One worker process and the logs sent to it, the one it is analysing first."""

    proc: ChildProcess
    jobs: deque[Job] = field(default_factory=deque)
    unread: int = 0  # request bytes sent beyond the log being analysed (at most PIPE_ROOM)
    idle_since: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)
    fresh: bool = True  # no log given yet: still importing the core
    rules_epoch: int = 0  # the pool's rules it was started with (TriagePool.use_rules)

    @classmethod
    def start(cls, launch: Callable[[], ChildProcess], now: float, rules_epoch: int = 0) -> Worker:
        proc = launch()
        assert proc.stdout is not None
        flags = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETFL)
        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETFL, flags | os.O_NONBLOCK)
        return cls(proc, idle_since=now, rules_epoch=rules_epoch)

    def fileno(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()

    @property
    def job(self) -> Job | None:
        """The log being analysed."""
        return self.jobs[0] if self.jobs else None

    def takes(self, request: int) -> bool:
        """Whether a request of this size can be sent ahead without blocking."""
        return not self.jobs or (len(self.jobs) < DEPTH and self.unread + request <= PIPE_ROOM)

    def give(self, job: Job, timeout: float | None, now: float) -> bool:
        """Send a log; False when the worker is gone."""
        assert self.proc.stdin is not None
        request = encode_request(job.data, job.source, timeout)
        job.size = len(request)
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        if self.jobs:
            self.unread += job.size
        else:
            job.due = now + (timeout or 0.0) + (START_GRACE if self.fresh else 0.0)
        self.jobs.append(job)
        self.fresh = False
        return True

    def next_job(self, timeout: float | None, now: float) -> Job:
        """The log answered: drop it, start the next one's clock."""
        job = self.jobs.popleft()
        if self.jobs:
            head = self.jobs[0]
            self.unread -= head.size  # the worker has read it: it is analysing it
            head.due = now + (timeout or 0.0)
        else:
            self.idle_since = now
        return job

    def answer(self) -> bytes | None:
        """The report's JSON once it has arrived whole; raises EOFError when the worker died."""
        while True:
            try:
                chunk = os.read(self.fileno(), 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                raise EOFError
            self.buffer += chunk
        if len(self.buffer) < RESPONSE.size:
            return None
        (length,) = RESPONSE.unpack_from(self.buffer)
        if len(self.buffer) < RESPONSE.size + length:
            return None
        payload = bytes(self.buffer[RESPONSE.size : RESPONSE.size + length])
        del self.buffer[: RESPONSE.size + length]
        return payload

    def stop(self, kill: bool = False) -> int:
        """End the worker (closing its input, or SIGKILL) and reap it; its exit status."""
        if kill:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            return self.proc.wait(timeout=None if kill else 2.0)
        except (subprocess.TimeoutExpired, TimeoutError):
            self.proc.kill()
            return self.proc.wait()


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except OSError:
        return os.cpu_count() or 1


def worker_command() -> list[str]:
    return [sys.executable, *WORKER]


def spawn(command: Sequence[str], first: bytes = b"") -> ChildProcess:
    """A worker started as a new program (safe from a threaded parent such as the daemon);
    `first`: bytes written to its input before anything else (its rules frame)."""
    proc = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
    if first and proc.stdin is not None:
        with contextlib.suppress(OSError):  # a worker that died at once: its first log finds out
            proc.stdin.write(first)
            proc.stdin.flush()
    return proc


class TriagePool:
    """At most `size` workers analysing logs, each within `timeout` seconds (None: no deadline).
    The shipped worker triages with the operator's `rules` (sent as its first frame)."""

    def __init__(
        self,
        timeout: float | None,
        size: int,
        *,
        command: Sequence[str] | None = None,
        fork: AnalyzeToJson | None = None,
        rules: OperatorRules | None = None,
        idle_exit: float = IDLE_EXIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.size = max(1, size)
        self.command = list(command) if command is not None else None
        self.fork = fork  # workers forked from this (single-threaded) process, running that analysis
        self.idle_exit = idle_exit
        self.clock = clock
        self.queue: deque[Job] = deque()
        self.workers: list[Worker] = []
        self.done: OrderedDict[Key, Answer] = OrderedDict()
        self.completed = 0  # logs finished so far: a caller waiting on one knows when to ask again
        self.rules_epoch = 0
        self.use_rules(rules)

    def use_rules(self, rules: OperatorRules | None) -> None:
        """Triage with these rules from now on: idle workers started with others are stopped, busy
        ones when their logs are done (a log already sent to a worker keeps the rules it had). A
        worker of the caller's own (`command`, `fork`) is given no rules: it runs what it runs."""
        self.rules_epoch += 1
        if self.fork is not None:
            fork = self.fork
            self.launch: Callable[[], ChildProcess] = lambda: ForkedChild(fork)
        elif self.command is not None or rules is None or rules.empty:
            argv = self.command or worker_command()
            self.launch = lambda: spawn(argv)
        else:
            frame = encode_rules(rules)
            self.launch = lambda: spawn([*worker_command(), RULES_FLAG], frame)
        self.retire_idle(self.clock())

    def submit(self, key: Key, data: bytes, source: str) -> bool:
        """Queue a log unless it is already queued, running or finished (then False)."""
        if key in self.done or self.busy(key):
            return False
        self.queue.append(Job(key, data, source))
        self.dispatch()
        return True

    def busy(self, key: Key) -> bool:
        """Whether `key` is queued or with a worker."""
        return any(job.key == key for job in self.queue) or any(job.key == key for w in self.workers for job in w.jobs)

    def take(self, key: Key) -> Report | None:
        """The finished report of `key` (handed out once), or None."""
        answer = self.done.pop(key, None)
        return None if answer is None else answer.report()

    def take_answer(self, key: Key) -> Answer | None:
        """The finished answer of `key`, unparsed (handed out once), or None."""
        return self.done.pop(key, None)

    def fds(self) -> list[int]:
        """Descriptors that become readable when a busy worker answers (or dies)."""
        return [w.fileno() for w in self.workers if w.job is not None]

    def next_due(self) -> float | None:
        """The clock time of the next deadline or idle stop, if any."""
        times = [w.idle_since + self.idle_exit for w in self.workers if w.job is None]
        if self.timeout is not None:
            times += [w.job.due for w in self.workers if w.job is not None]
        return min(times, default=None)

    def retry_after(self) -> float:
        """Seconds after which a log queued now has surely finished or timed out."""
        waves = 1 + len(self.queue) // self.size
        return waves * (self.timeout if self.timeout is not None else 60.0) + 1.0

    def service(self, wait: float = 0.0) -> int:
        """Collect answers (waiting up to `wait` seconds for one), enforce deadlines, start queued
        logs, stop idle workers. Returns how many logs finished."""
        before = self.completed
        busy = [w for w in self.workers if w.job is not None]
        if busy and wait > 0:
            due = self.next_due()
            if due is not None:
                wait = max(0.0, min(wait, due - self.clock()))
            select.select([w.fileno() for w in busy], [], [], wait)
        now = self.clock()
        for worker in busy:
            self.collect(worker, now)
        self.retire_idle(now)
        self.dispatch()
        self.retire_idle(now)
        return self.completed - before

    def collect(self, worker: Worker, now: float) -> None:
        while (job := worker.job) is not None:
            try:
                payload = worker.answer()
            except EOFError:
                self.finish(job, Answer(made=self.died(worker, job)))
                return
            if payload is None:
                break
            worker.next_job(self.timeout, now)
            self.finish(job, Answer(payload))
        if job is not None and self.timeout is not None and now >= job.due:
            self.drop(worker, job, kill=True)
            _log().warning(
                "triage of %s timed out after %g s (report headline: %r); recorded unclassified, never retried",
                job.source, self.timeout, headline(job.data),
            )  # fmt: skip
            self.finish(job, Answer(made=timed_out_report(job.data, job.source, self.timeout)))

    def died(self, worker: Worker, job: Job) -> Report:
        """The report of a log whose worker ended without answering (SIGXCPU: its CPU limit)."""
        status = self.drop(worker, job, kill=False)
        if status == -signal.SIGXCPU and self.timeout is not None:
            _log().warning("triage of %s used its CPU time limit (report headline: %r)", job.source, headline(job.data))
            return timed_out_report(job.data, job.source, self.timeout)
        reason = f"triage worker died ({f'signal {-status}' if status < 0 else f'exit status {status}'})"
        _log().error("triage of %s failed: %s", job.source, reason)
        return failed_report(job.source, reason)

    def drop(self, worker: Worker, job: Job, *, kill: bool) -> int:
        """Stop a worker for good; the logs sent to it after `job` go back to the front of the queue."""
        self.workers.remove(worker)
        self.queue.extendleft(reversed([other for other in worker.jobs if other is not job]))
        worker.jobs.clear()
        return worker.stop(kill=kill)

    def finish(self, job: Job, answer: Answer) -> None:
        self.done[job.key] = answer
        while len(self.done) > KEEP_RESULTS:
            self.done.popitem(last=False)
        self.completed += 1

    def dispatch(self) -> None:
        """Give queued logs to idle workers, starting workers up to `size`."""
        now = self.clock()
        while self.queue:
            current = [w for w in self.workers if w.rules_epoch == self.rules_epoch]
            worker = next((w for w in current if w.job is None), None)
            if worker is None and len(self.workers) < self.size:
                worker = Worker.start(self.launch, now, self.rules_epoch)
                self.workers.append(worker)
            if worker is None and self.timeout is None:  # no deadline: send ahead
                size = len(self.queue[0].data) + len(self.queue[0].source) + 64
                worker = min((w for w in current if w.takes(size)), key=lambda w: len(w.jobs), default=None)
            if worker is None:
                return
            job = self.queue.popleft()
            if not worker.give(job, self.timeout, now):
                self.finish(job, Answer(made=self.died(worker, job)))  # never a loop of workers that die at once

    def retire_idle(self, now: float) -> None:
        """Stop the workers idle for `idle_exit` seconds, and idle ones started with earlier rules."""
        stale = [w for w in self.workers if w.job is None and (now >= w.idle_since + self.idle_exit or w.rules_epoch != self.rules_epoch)]
        for worker in stale:
            self.workers.remove(worker)
            worker.stop()

    def close(self) -> None:
        """Stop every worker (a busy one is killed); queued logs are dropped."""
        self.queue.clear()
        for worker in self.workers:  # every idle worker sees the end of its input at once
            if worker.job is None and worker.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    worker.proc.stdin.close()
        for worker in self.workers:
            worker.stop(kill=worker.job is not None)
        self.workers.clear()


class DeadlineAnalyzer:
    """The pipeline's analyzer: the log goes to the pool and the call waits up to `patience`
    seconds for its report (None: until the pool's deadline), calling `tick` meanwhile; past
    that it raises TriagePending, and the same call later returns the finished report."""

    def __init__(self, pool: TriagePool, *, patience: float | None, tick: Callable[[], None] = lambda: None) -> None:
        self.pool = pool
        self.patience = patience
        self.tick = tick
        self.pending: Key | None = None  # the log of the last TriagePending raised

    def __call__(self, data: bytes | str, *, source: str = "") -> Report:
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
        key = key_of(raw, source)
        report = self.pool.take(key)
        if report is not None:
            return report
        self.pending = key
        if not self.pool.submit(key, raw, source):
            raise TriagePending(self.pool.retry_after())  # asked again while it still runs
        give_up = None if self.patience is None else self.pool.clock() + self.patience
        while True:
            left = 1.0 if give_up is None else give_up - self.pool.clock()
            self.pool.service(wait=max(0.0, min(1.0, left)))
            report = self.pool.take(key)
            if report is not None:
                return report
            self.tick()
            if give_up is not None and self.pool.clock() >= give_up:
                raise TriagePending(self.pool.retry_after())


def analyze_in_order(
    logs: Iterable[tuple[str, bytes | None]], jobs: int, *, fork: AnalyzeToJson | None = None
) -> Iterator[tuple[str, Answer | None]]:
    """(source, answer) for each (source, data) in input order, `jobs` logs analysed at a time
    (by workers forked from this process with `fork`, else spawned); an entry without data passes
    through as (source, None). At most AHEAD x `jobs` logs, and about AHEAD_BYTES of them, are held.
    With `fork` this process is one of the `jobs`: it forks `jobs` - 1 workers, and when none of them
    can take the next log now (each has as many as may be sent ahead) and that log is at most
    HERE_BYTES, it analyses the log itself, as `-j 1` does every log, instead of waiting for them."""
    here = None
    if fork is not None:  # what the core builds on first use is built once here, not in each worker
        from kcrashd.core.triage import prepare

        prepare()
        here = fork if jobs > 1 else None
    pool = TriagePool(None, jobs - 1 if here is not None else jobs, fork=fork)
    ahead: deque[_Ahead] = deque()
    window = min(AHEAD * max(1, jobs), KEEP_RESULTS // 2)
    held = 0  # bytes of the logs in `ahead`
    try:
        for n, (source, data) in enumerate(logs):
            ahead.append(_start(pool, here, n, source, data))
            held += ahead[-1].size
            while len(ahead) >= window or held > AHEAD_BYTES or (ahead and ahead[0].key is None):
                held -= ahead[0].size
                yield _next_in_order(pool, ahead)
        while ahead:
            yield _next_in_order(pool, ahead)
    finally:
        pool.close()


@dataclass
class _Ahead:
    """A log read ahead of the one handed out next: its key in the pool, or its answer made here."""

    source: str
    key: Key | None  # None: no data, or analysed here (`answer`)
    size: int
    answer: Answer | None = None


def _start(pool: TriagePool, here: AnalyzeToJson | None, n: int, source: str, data: bytes | None) -> _Ahead:
    """Hand log `n` to the pool, or analyse it with `here` when no worker can take it now (a log queued in
    the pool waits for one) and it is small; with `here`, answers that arrived are collected first, so that
    the queue is current."""
    if data is None:
        return _Ahead(source, None, 0)
    size = len(data)
    if here is not None and size <= HERE_BYTES:
        pool.service()
        if pool.queue:
            return _Ahead(source, None, size, Answer(payload=here(data, source=source)))
    key = (f"{n}\0{source}", b"")
    pool.submit(key, data, source)
    return _Ahead(source, key, size)


def _next_in_order(pool: TriagePool, ahead: deque[_Ahead]) -> tuple[str, Answer | None]:
    entry = ahead.popleft()
    if entry.key is None:
        return entry.source, entry.answer
    answer = pool.take_answer(entry.key)
    while answer is None:
        pool.service(wait=1.0)
        answer = pool.take_answer(entry.key)
    return entry.source, answer
