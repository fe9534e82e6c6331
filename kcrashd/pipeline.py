"""Process one crash unit: the one place where sources, the core, the store and the sinks meet.

The order is what makes a kill -9 at any point harmless (docs/state.md):
  1 inspect the unit       2 read the log and triage it   3 record crash + alert intents (one
  transaction, status `pending`)   4 send the journal entry with its stable KCRASHD_CRASH_ID
  5 mark it `journaled`.
After a restart, `pending` rows are looked up in the journal by KCRASHD_CRASH_ID before anything
is sent again. Every step holds the flock of the state directory, so `scan` and `run` can run
at the same time.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kcrashd.config.settings import Config
from kcrashd.core.model import Report
from kcrashd.model.crash import CrashRecord, VmcoreFacts
from kcrashd.sinks import CrashJournal, Outcome
from kcrashd.sources.folder import FolderChanged
from kcrashd.sources.repeats import REPEATS
from kcrashd.sources.units import (
    CrashUnit,
    DumpState,
    Layout,
    inspect_unit,
    judge,
    open_folder,
    safe,
    unreadable_state,
    vmcore_state,
)
from kcrashd.sources.vmcore import STREAM_UNCHECKED, is_read_through, read_vmcore_facts
from kcrashd.store.boot_ledger import add_link, report_for_dump
from kcrashd.store.crash_logs import KeptLog
from kcrashd.store.database import (
    LOCK_NAME,
    STORE_FAILURES,
    CrashRow,
    CrashStatus,
    FingerprintStats,
    Store,
    in_savepoint,
    is_transient,
)
from kcrashd.triage.pool import TriagePending

if TYPE_CHECKING:
    import sqlite3

    from kcrashd.config.alerting import AlertsConfig
    from kcrashd.core.operator_rules import OperatorRules
    from kcrashd.store.neighbours import Neighbour

log = logging.getLogger(__name__)

LOOK_AGAIN_AFTER = 5.0
NO_VMCORE = (Layout.PSTORE, Layout.PSTORE_FLAT)

PRIVATE_PREFIX = "vmcore-"
TRIAGE_RUNNING = "triage running"  # Handled.detail: a worker is still analysing the log


class Analyzer(Protocol):
    """Triage of one log (kcrashd.core.analyze)."""

    def __call__(self, data: bytes, *, source: str) -> Report: ...


class Enqueue(Protocol):
    """Queues a crash's alert intents inside the caller's transaction (kcrashd.sinks.alerting.enqueue)."""

    def __call__(
        self, conn: sqlite3.Connection, record: CrashRecord, alerts: AlertsConfig, *, now: datetime, page: bool = True
    ) -> int: ...


class Step(StrEnum):
    """The steps of processing a new crash, in order: a kill -9 after any of them is harmless
    (docs/state.md). `Pipeline(on_step=)` is called after each (tests kill the process there)."""

    INSPECTED = "inspected"
    ANALYZED = "analyzed"
    IN_TRANSACTION = "in-transaction"
    RECORDED = "recorded"
    JOURNALED = "journaled"
    MARKED = "marked"


StepHook = Callable[[Step], None]


class TokenBucket:
    """At most `burst` entries per `interval` seconds, refilled continuously."""

    def __init__(self, burst: int, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = burst / interval
        self.tokens = float(burst)
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """0 if a token was taken, else the seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class StateLock:
    """flock on `<state_dir>/lock`: one process at a time records and journals a crash."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        self.local = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.local:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)


class Action(StrEnum):
    """What handling a unit did."""

    JOURNALED = "journaled"  # a new crash: recorded and journaled
    UPDATED = "updated"  # a known crash whose vmcore state changed (no new entry)
    KNOWN = "known"  # a known crash, or one found already in the journal
    WAITING = "waiting"  # the folder is not finished yet
    DEFERRED = "deferred"  # try again later (rate limit, database or file error)
    SKIPPED = "skipped"  # not a crash folder (vanished, symlink, not a directory)
    FAILED = "failed"  # an unexpected error (logged); retried later


@dataclass(frozen=True)
class Handled:
    """What handling a unit did; `retry_at` (epoch seconds) asks to be called again."""

    action: Action
    crash_id: str | None = None
    retry_at: float | None = None
    detail: str = ""
    watch: bool = False  # the folder is still being written: its events are wanted


def crash_id_for(dump_dir: str, ino: int) -> str:
    """Stable across restarts and rebuilds: the folder's path and inode."""
    return hashlib.sha256(f"{dump_dir}\0{ino}".encode("utf-8", "surrogateescape")).hexdigest()[:32]


def default_analyze(rules: OperatorRules | None = None) -> Analyzer:
    """The core's analysis in this process, with the operator's grouping rules."""
    from kcrashd.core import analyze

    def run(data: bytes, *, source: str) -> Report:
        return analyze(data, source=source, rules=rules)

    return run


def load_enqueue() -> Enqueue:
    """The alert outbox's enqueue (the HTTP stack is only loaded by the deliverer, on first use)."""
    from kcrashd.sinks.alerting.outbox import enqueue

    return enqueue


# Node names a kernel reports before anything set one: they name no machine.
UNNAMED_HOSTS = frozenset({"(none)", "localhost", "localhost.localdomain", "localhost6", ""})


def named_host(nodename: str | None) -> str | None:
    """The vmcore's node name when it identifies a machine."""
    return nodename if nodename and nodename.strip() not in UNNAMED_HOSTS else None


class Pipeline:
    """Turns crash units into recorded, journaled crashes."""

    def __init__(
        self,
        config: Config,
        store: Store,
        journal: CrashJournal,
        lock: StateLock,
        *,
        analyze: Analyzer | None = None,
        rules: OperatorRules | None = None,
        clock: Callable[[], float] = time.time,
        enqueue: Enqueue | None = None,
        on_enqueued: Callable[[], None] | None = None,
        on_step: StepHook | None = None,
        tick: Callable[[], None] | None = None,
        one_shot: bool = False,
    ) -> None:
        self.config = config
        self.store = store
        self.journal = journal
        self.lock = lock
        self.analyze = analyze or default_analyze(rules)  # `rules`: for the default analysis only
        self.clock = clock
        self.enqueue = enqueue
        self.on_enqueued = on_enqueued
        self.step = on_step or (lambda _step: None)
        self.bucket = TokenBucket(config.journal.rate_burst, config.journal.rate_interval)
        self.local_host = socket.gethostname()
        self.synced = False
        self.tick = tick or (lambda: None)
        # what happens to a deferred unit: the daemon comes back to it, `kcrashd scan` exits 4
        self.later = "left for the next `kcrashd scan` or the daemon" if one_shot else "will retry"

    # --- recovery ------------------------------------------------------------------------

    def check_state(self) -> bool:
        """The database must know the journal's newest crash entry. When it does not (its WAL was
        lost, or it is an older copy) while that dump is still on disk, every dump written until
        now is looked up in the journal before anything is sent for it: what is found there is
        recorded as journaled, neither journaled nor paged again (docs/state.md). True if so."""
        mark = self.journal.latest()
        if mark is None or self.store.get(mark.crash_id) is not None or not os.path.lexists(mark.dump_dir):
            return False
        log.warning(
            "the state database does not know the newest crash in the journal (%s): it lost recent"
            " changes; dumps are looked up in the journal before anything is sent", safe(mark.dump_dir),
        )  # fmt: skip
        self.store.ask_journal_until(self.clock())
        return True

    def recover(self) -> int:
        """Finish crashes recorded but not confirmed in the journal (a kill or crash mid-way),
        after checking that the database is not older than the journal."""
        with self.lock.held():
            self.check_state()
            pending = self.store.pending()
            if not pending:
                return 0
            try:
                self.journal.sync()
                sent = self.journal.sent([row.crash_id for row in pending])
                for row in pending:
                    if row.crash_id in sent:
                        log.info("crash %s was already in the journal; marked journaled", row.crash_id)
                    else:
                        log.info("crash %s was recorded but not journaled; sending it now", row.crash_id)
                        self._send(row.record)
                    self.store.mark_journaled(row.crash_id)
            except OSError as exc:
                log.error("cannot finish crashes waiting for the journal (%s); they stay pending", exc)
            return len(pending)

    # --- one unit -------------------------------------------------------------------------

    def handle(self, unit: CrashUnit) -> Handled:
        """Inspect a unit and process it if it is ready; never raises for bad input."""
        try:
            with self.lock.held():
                return self._handle(unit)
        except TriagePending as pending:  # the analyzer's worker is on it: nothing recorded yet
            return Handled(Action.DEFERRED, retry_at=self.clock() + pending.wait, detail=TRIAGE_RUNNING)
        except STORE_FAILURES as exc:
            retry = self.clock() + self.config.daemon.retry_seconds
            log.error("cannot record %s in the state database (%s); %s", safe(str(unit.path)), exc, self.later)
            return Handled(Action.DEFERRED, retry_at=retry, detail=str(exc))
        except OSError as exc:
            retry = self.clock() + self.config.daemon.retry_seconds
            reason = exc.strerror or str(exc)
            REPEATS.warn(
                log, str(unit.path), reason, "cannot process %s: %s; %s", safe(str(unit.path)), reason, self.later
            )
            return Handled(Action.DEFERRED, retry_at=retry, detail=str(exc))

    def _handle(self, unit: CrashUnit) -> Handled:
        state = self._look(unit)
        if isinstance(state, Handled):
            return state
        try:
            return self._process(state)
        finally:
            if state.folder is not None:
                state.folder.close()

    def _look(self, unit: CrashUnit) -> DumpState | Handled:
        """Open the unit's folder (identity checked) and list it through its descriptor; what
        cannot be looked at gives its outcome, each warning once per folder."""
        path = str(unit.path)
        try:
            folder = open_folder(unit)
        except FileNotFoundError:
            return Handled(Action.SKIPPED, detail="vanished")
        except FolderChanged as exc:
            REPEATS.warn(log, path, "changed", "looking at %s again: %s", safe(path), exc.strerror)
            return Handled(Action.DEFERRED, retry_at=self.clock() + LOOK_AGAIN_AFTER, detail="folder replaced")
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                what = "symbolic link (never followed)" if os.path.islink(unit.path) else "not a directory"
                REPEATS.warn(log, path, what, "skipping %s: %s", safe(path), what)
                return Handled(Action.SKIPPED, detail=what.partition(" (")[0])
            return self._unreadable(unit, exc)
        try:
            state = inspect_unit(unit, folder)
        except OSError as exc:
            folder.close()
            return self._unreadable(unit, exc)
        if state.log is None and state.log_refused is not None:
            REPEATS.warn(log, path, "log refused", "cannot read %s: %s (refused)", safe(path), state.log_refused)
        return state

    def _unreadable(self, unit: CrashUnit, exc: OSError) -> DumpState | Handled:
        """A folder that cannot be opened or listed: judged as such (journaled once as "cannot
        read" when it stays so), unless it is gone."""
        path = str(unit.path)
        try:
            state = unreadable_state(unit, exc)
        except FileNotFoundError:
            return Handled(Action.SKIPPED, detail="vanished")
        REPEATS.warn(log, path, "unreadable", "cannot read %s: %s", safe(path), state.unreadable)
        return state

    def _renamed(self, state: DumpState) -> CrashRow | None:
        """The crash already recorded for this folder under another name (same device, inode and
        log: renamed within a dump path, or swapped back and forth), which is not a new crash."""
        log_file = state.log
        row = self.store.find_moved(
            state.dev, state.ino, log_file.mtime_ns if log_file else None, log_file.size if log_file else None,
            dump_dir=str(state.unit.path),
        )  # fmt: skip
        if row is not None:
            path = str(state.unit.path)
            REPEATS.warn(
                log, path, "renamed", "%s is crash %s, already recorded as %s: not journaled again",
                safe(path), row.crash_id, safe(row.record.dump_dir), level=logging.INFO,
            )  # fmt: skip
        return row

    def _process(self, state: DumpState) -> Handled:
        unit = state.unit
        now = self.clock()
        timeout = self.config.sources.incomplete_timeout
        existing = self.store.find(str(unit.path), state.ino) or self._renamed(state)
        if existing is not None:
            if existing.status is CrashStatus.PENDING:
                self._finish_pending(existing.crash_id, existing.record)
            return self._refresh(existing.crash_id, existing.record, state, now)
        verdict = judge(state, now, self.config.sources.settle_seconds, timeout)
        if not verdict.ready:
            return Handled(Action.WAITING, retry_at=verdict.retry_at, detail=verdict.reason, watch=state.folder is not None)
        wait = self.bucket.take()
        if wait > 0:
            return Handled(Action.DEFERRED, retry_at=now + wait, detail="journal rate limit")
        self.step(Step.INSPECTED)
        record, log_meta, kept = self._triage(state, verdict.incomplete, now)
        record = self._with_report_link(record)
        self.step(Step.ANALYZED)
        status = CrashStatus.PENDING
        if self.store.rebuilt_at is not None and state.newest_mtime <= self.store.rebuilt_at:
            if not self.synced:
                self.journal.sync()
                self.synced = True
            if self.journal.sent([record.crash_id]):
                status = CrashStatus.JOURNALED  # rebuilt database: the journal already has it, nothing is re-sent
        hint = self._similar_hint(record)
        stored = self.store.record(
            lambda stats: self._with_history(record, stats, hint),
            dev=state.dev,
            ino=state.ino,
            log_mtime_ns=log_meta[0],
            log_size=log_meta[1],
            vmcore_state=record.vmcore_state,
            status=status,
            also=self._enqueue if status is CrashStatus.PENDING else None,
            hook=lambda: self.step(Step.IN_TRANSACTION),
            log=kept,
        )
        self.step(Step.RECORDED)
        if stored.linked_crash_id is not None:
            add_link(self.store.conn, stored.linked_crash_id, stored.crash_id)
        if status is CrashStatus.JOURNALED:
            return Handled(Action.KNOWN, stored.crash_id, detail="already in the journal")
        self._send(stored)
        self.step(Step.JOURNALED)
        self.store.mark_journaled(stored.crash_id)
        self.step(Step.MARKED)
        if self.on_enqueued is not None:
            self.on_enqueued()
        retry = self._vmcore_retry(state, now)
        if retry is None and self._end_unchecked(stored.vmcore, stored.vmcore_state):
            retry = self.clock()  # read the whole stream later, after the backlog's entries
        return Handled(Action.JOURNALED, stored.crash_id, retry_at=retry, watch=self._vmcore_written(state, now))

    def _send(self, record: CrashRecord) -> None:
        """The crash's journal entry. An `Outcome` that says it was not delivered is a failure like
        the OSError `send` raises: the crash stays `pending` and its entry is sent again later."""
        outcome = self.journal.send(record)
        if not outcome.delivered:
            raise JournalRefused(outcome)

    def _finish_pending(self, crash_id: str, record: CrashRecord) -> None:
        if not self.synced:
            self.journal.sync()
            self.synced = True
        if crash_id not in self.journal.sent([crash_id]):
            self._send(record)
        self.store.mark_journaled(crash_id)

    def _refresh(self, crash_id: str, record: CrashRecord, state: DumpState, now: float) -> Handled:
        """A known crash: a vmcore that landed (or failed) later updates the state, not the journal."""
        if state.folder is None:  # cannot be read now: keep what is known
            return Handled(Action.KNOWN, crash_id)
        timeout = self.config.sources.incomplete_timeout
        new_state = vmcore_state(state, now, timeout)
        facts = self._vmcore_facts(state)
        checked = False
        if facts is not None and self._end_unchecked(facts, new_state):
            known = record.vmcore
            if known is not None and (known.path, known.size) == (facts.path, facts.size) and is_read_through(known):
                facts = known  # read through before at this size
            else:
                facts, checked = self._check_end(state, facts), True
        if facts is not None and new_state == "complete" and not facts.complete:
            new_state = "incomplete-flag" if "incomplete-flag" in facts.flags else "truncated"
        if checked or new_state != record.vmcore_state or (facts and record.vmcore and facts.size != record.vmcore.size):
            problems = [p for p in record.problems if not p.startswith("vmcore")]
            problems += self._vmcore_problems(new_state, facts)
            if new_state != record.vmcore_state:  # journaled first: a kill in between sends it again
                now_known = {"vmcore": facts, "problems": problems, "vmcore_state": new_state}
                self.journal.send_update(record.model_copy(update=now_known))
            self.store.update_vmcore(crash_id, new_state, facts, problems)
            log.debug("crash %s: vmcore is now %s", crash_id, new_state)
            return Handled(
                Action.UPDATED, crash_id, retry_at=self._vmcore_retry(state, now), detail=new_state,
                watch=self._vmcore_written(state, now),
            )  # fmt: skip
        return Handled(Action.KNOWN, crash_id, retry_at=self._vmcore_retry(state, now), watch=self._vmcore_written(state, now))

    def _end_unchecked(self, facts: VmcoreFacts | None, vstate: str) -> bool:
        """A finished compressed dump whose end record nobody has looked for yet (docs/dump-layouts.md §8)."""
        return vstate == "complete" and facts is not None and "wrapped" in facts.flags and not is_read_through(facts)

    def _check_end(self, state: DumpState, facts: VmcoreFacts) -> VmcoreFacts:
        """Decompress the whole dump once: O(size), so only after its crash was journaled."""
        from kcrashd.sources.flatten import check_stream

        sources = self.config.sources
        try:
            fd = open_vmcore(state)
        except OSError as exc:
            return facts.model_copy(
                update={"flags": [*facts.flags, STREAM_UNCHECKED], "error": f"end not checked: {exc.strerror or exc}"}
            )
        try:
            checked = check_stream(
                fd, facts, limit=sources.max_rearrange_bytes, timeout=sources.makedumpfile_timeout, tick=self.tick,
            )  # fmt: skip
        finally:
            os.close(fd)
        log.info("vmcore %s: %s", safe(facts.path), checked.error or "ends with the end record")
        return checked

    def _vmcore_written(self, state: DumpState, now: float) -> bool:
        return vmcore_state(state, now, self.config.sources.incomplete_timeout) == "in-progress"

    def _vmcore_retry(self, state: DumpState, now: float) -> float | None:
        """When to look at a journaled dump again: when a vmcore being written must have finished;
        and, while a recent folder has no vmcore yet (a dump server may receive it minutes after the
        log), each time its quiet time doubles, so nothing has to watch it."""
        timeout = self.config.sources.incomplete_timeout
        vstate = vmcore_state(state, now, timeout)
        if vstate == "in-progress":
            assert state.vmcore_partial is not None
            return state.vmcore_partial.mtime + timeout + 1
        changed = state.newest_mtime
        if vstate == "absent" and not state.done and state.unit.layout not in NO_VMCORE and changed + timeout > now:
            return min(changed + timeout + 1, max(now + LOOK_AGAIN_AFTER, 2 * now - changed))
        return None

    # --- triage ---------------------------------------------------------------------------

    def _vmcore_facts(self, state: DumpState) -> VmcoreFacts | None:
        """The vmcore's header facts, the file opened relative to its folder."""
        path = state.vmcore_path
        return None if path is None else read_vmcore_facts(path, opener=lambda: open_vmcore(state))

    def _vmcore_problems(self, vstate: str, facts: VmcoreFacts | None) -> list[str]:
        problems = []
        if vstate == "failed":
            problems.append("vmcore failed: the collector never finished (incomplete file left)")
        elif vstate == "in-progress":
            problems.append("vmcore still being written")
        if facts is None:
            return problems
        read_through = is_read_through(facts)
        if facts.error and not (read_through and facts.truncated):
            problems.append(f"vmcore{'' if read_through else ' header'}: {facts.error}")
        if "incomplete-flag" in facts.flags:
            problems.append("vmcore marked incomplete by makedumpfile (out of space or size limit)")
        if facts.truncated:
            problems.append(f"vmcore truncated: {facts.error}" if read_through and facts.error else "vmcore truncated")
        return problems

    def _triage(
        self, state: DumpState, incomplete: bool, now: float
    ) -> tuple[CrashRecord, tuple[int | None, int | None], KeptLog | None]:
        """The crash's record, its log file's (mtime_ns, size) and the part of its log kept for retriage."""
        unit = state.unit
        problems = list(state.notes) + list(state.failed)
        found = self._kernel_log(state, self._vmcore_facts(state))
        data, origin, log_meta, log_problems, facts = found.data, found.origin, found.meta, found.problems, found.facts
        log_path = state.log_path
        vstate = vmcore_state(state, now, self.config.sources.incomplete_timeout)
        if facts is not None and vstate == "complete" and not facts.complete:
            vstate = "incomplete-flag" if "incomplete-flag" in facts.flags else "truncated"
        problems += self._vmcore_problems(vstate, facts) + log_problems
        if data is None:
            report = Report(source=str(log_path or unit.path), error=cannot_read(state, log_problems))
        else:
            report = self.analyze(data, source=str(log_path or unit.path))
        if incomplete or state.log_degraded or data is None:
            incomplete = True
        if vstate in ("failed", "incomplete-flag", "truncated"):
            incomplete = True
        host = named_host(facts.hostname if facts else None) or unit.host_hint or self.local_host
        crash_time = (facts.crash_time if facts else None) or unit.name_time
        if crash_time is None:
            mtime = state.log.mtime if state.log else state.newest_mtime
            crash_time = datetime.fromtimestamp(mtime or now, UTC)
        detected = datetime.fromtimestamp(now, UTC)
        max_age = self.config.alerts.policy.max_page_age_hours
        too_old = crash_time < detected - timedelta(hours=max_age)
        record = CrashRecord(
            crash_id=crash_id_for(str(unit.path), state.ino),
            report=report,
            host=host,
            dump_dir=str(unit.path),
            log_path=str(log_path) if log_path is not None and origin != "makedumpfile" else None,
            layout=str(state.layout or unit.layout),
            source=unit.source,
            crash_time=crash_time,
            detected_at=detected,
            incomplete=incomplete,
            test=unit.test,
            vmcore=facts,
            vmcore_state=vstate,
            first_seen=crash_time,
            log_origin=origin,
            too_old_to_page=too_old,
            problems=problems,
        )
        return record, log_meta, None if data is None else kept_log(data, report)

    def _kernel_log(self, state: DumpState, facts: VmcoreFacts | None) -> KernelLog:
        """The crashed kernel's log, read relative to its folder: the log file (docs/dump-layouts.md
        §9), else recovered from the vmcore, else none, with what went wrong as problems."""
        problems: list[str] = []
        if state.log is not None:
            origin = "file"
            if state.log_degraded:
                origin = "incomplete-file"
                problems.append(f"log extraction did not finish: using {state.log.name}")
            data, meta = read_folder_log(state, problems)
            return KernelLog(data, origin, meta, problems, facts)
        if state.vmcore_path is not None and facts is not None:
            problems += refusals(state)
            data, note, facts = self._dmesg_from_vmcore(state, facts)
            origin = "makedumpfile" if data is not None else "none"
            return KernelLog(data, origin, (None, None), [*problems, note], facts)
        problems += refusals(state) or ["no kernel log and no vmcore in the dump folder"]
        return KernelLog(None, "none", (None, None), problems, facts)

    def _with_history(self, record: CrashRecord, stats: FingerprintStats, hint: Neighbour | None = None) -> CrashRecord:
        first = record.crash_time if stats.first_seen is None else min(stats.first_seen, record.crash_time)
        similar = hint if hint is not None and stats.count == 0 else None
        return record.model_copy(
            update={
                "first_seen": first,
                "count": stats.count + 1,
                "hosts": stats.hosts + (0 if stats.host_known else 1),
                "new_fingerprint": stats.count == 0,
                "similar_fingerprint": similar.crash.fingerprint if similar else None,
                "similar_score": similar.score if similar else None,
            }
        )

    def _with_report_link(self, record: CrashRecord) -> CrashRecord:
        """A dump whose report was read from the journal first (docs/reboots.md): its entry names
        that report in KCRASHD_LINKED_CRASH_ID, as the report's entry names a dump known first."""
        settings = self.config.kernel_journal
        if not settings.enabled or not record.report.has_crash or not record.report.fingerprint:
            return record
        link = report_for_dump(
            self.store.conn, record.report.fingerprint, record.crash_time.timestamp(), settings.capture_window_minutes * 60
        )
        return record if link is None else record.model_copy(update={"linked_crash_id": link})

    def _similar_hint(self, record: CrashRecord) -> Neighbour | None:
        """For a fingerprint this store has not seen: the stored crash of another fingerprint
        whose stack is most like this one's, if it scores at least [grouping] similar_threshold."""
        report = record.report
        if not report.fingerprint or self.store.stats(report.fingerprint, record.host).count:
            return None
        from kcrashd.store.neighbours import (
            similar_hint,  # the frame cleaning core: not loaded before a new bug
        )

        return similar_hint(self.store.conn, report, self.config.grouping.similar_threshold)

    def _enqueue(self, conn: sqlite3.Connection, record: CrashRecord, page: bool = True) -> None:
        """Alert intents in the crash's transaction; a failing policy never costs the crash itself."""
        if self.enqueue is None:
            return
        enqueue = self.enqueue
        failed = in_savepoint(conn, "alerts", lambda: enqueue(
            conn, record, self.config.alerts, now=datetime.fromtimestamp(self.clock(), UTC),
            page=page and not record.too_old_to_page and not record.test,
        ))  # fmt: skip
        if failed is not None:
            log.error(
                "alerting could not queue alerts for crash %s; the crash is still recorded", record.crash_id,
                exc_info=failed,
            )  # fmt: skip

    def record_found(
        self, record: CrashRecord, *, ino: int, page: bool, text: bytes | None = None
    ) -> CrashRecord | None:
        """Record, queue alerts for and journal a crash that has no dump folder (a kernel report or
        an unexplained reboot read from the journal, kcrashd.sources.kernel_journal); None if already known.
        The same order as a dump's (pending, sent, journaled), so a kill at any point is harmless.
        `text`: the report's text, kept for retriage as a dump's log is."""
        with self.lock.held():
            existing = self.store.find(record.dump_dir, ino)
            if existing is not None:
                if existing.status is CrashStatus.PENDING:
                    self._finish_pending(existing.crash_id, existing.record)
                return None
            stored = self.store.record(
                lambda stats: self._with_history(record, stats), dev=0, ino=ino, log_mtime_ns=None, log_size=None,
                vmcore_state=record.vmcore_state, also=lambda conn, rec: self._enqueue(conn, rec, page),
                log=None if text is None else kept_log(text, record.report),
            )  # fmt: skip
            self._send(stored)
            self.store.mark_journaled(stored.crash_id)
        if self.on_enqueued is not None:
            self.on_enqueued()
        return stored

    def _dmesg_from_vmcore(self, state: DumpState, facts: VmcoreFacts) -> tuple[bytes | None, str, VmcoreFacts]:
        """The log from the vmcore (kcrashd.sources.vmcore_dmesg), in a private folder under the state dir;
        the vmcore is handed over open, opened relative to its folder."""
        from kcrashd.sources.vmcore_dmesg import recover_dmesg

        try:
            fd = open_vmcore(state)
        except OSError as exc:
            return None, f"no kernel log: cannot open the vmcore: {exc.strerror or exc}", facts
        try:
            return recover_dmesg(fd, facts, self.config.sources, self.tick, self._private_dir)
        finally:
            os.close(fd)

    @contextmanager
    def _private_dir(self) -> Iterator[Path]:
        """A fresh 0700 folder under `<state_dir>/tmp`, on disk where /tmp may be RAM, removed
        after use; what a killed run left there goes first (the state lock is held)."""
        root = self.config.state.state_dir / "tmp"
        root.mkdir(mode=0o700, exist_ok=True)
        for stale in root.glob(f"{PRIVATE_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        path = Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX, dir=root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


class JournalRefused(OSError):
    """The journal answered a crash's entry with an `Outcome` that is not delivered."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(errno.EIO, f"the journal did not take the entry: {outcome.error or 'no reason given'}")
        self.outcome = outcome


class LogError(Exception):
    """The log could not be read."""


@dataclass(frozen=True)
class KernelLog:
    """The log triage reads: its bytes (None when there is none), where they came from
    (`KCRASHD_LOG_ORIGIN`), the file's (mtime_ns, size), problems met, and the vmcore's facts
    (updated when the log came from a rearranged stream)."""

    data: bytes | None
    origin: str
    meta: tuple[int | None, int | None]
    problems: list[str]
    facts: VmcoreFacts | None


def kept_log(data: bytes, report: Report) -> KeptLog:
    """What of a log the state keeps for retriage (kcrashd.core.kept_log: at most 64 KiB)."""
    from kcrashd.core.kept_log import keep_log  # the header tables: loaded when a crash comes

    return KeptLog(keep_log(data, report), len(data))


def open_vmcore(state: DumpState) -> int:
    """The unit's vmcore (final or incomplete name), opened relative to its folder."""
    chosen = state.vmcore or state.vmcore_partial
    if state.folder is None or chosen is None:
        raise OSError(errno.ENOENT, "no vmcore")
    return state.folder.open_file(chosen.name)


def read_folder_log(state: DumpState, problems: list[str]) -> tuple[bytes | None, tuple[int | None, int | None]]:
    """The log's bytes and (mtime_ns, size), read relative to its folder (never through a
    symlink, never blocking on a FIFO); a failure is one "cannot read" problem and one log line."""
    from kcrashd.sources.logfile import LogFileError, read_log_fd

    assert state.log is not None
    name = state.log.name
    try:
        if state.folder is None:
            raise OSError(errno.EBADF, "the folder is not open")
        fd = state.folder.open_file(name)
        try:
            st = os.fstat(fd)
            return read_log_fd(fd, name), (st.st_mtime_ns, st.st_size)
        finally:
            os.close(fd)
    except (OSError, LogFileError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(f"cannot read {safe(name)}: {reason}")
        path = str(state.unit.path)
        REPEATS.warn(log, path, "log", "cannot read %s/%s: %s", safe(path), safe(name), reason)
        return None, (None, None)


def refusals(state: DumpState) -> list[str]:
    """Why the folder or its log could not be read at all, as problems."""
    if state.unreadable is not None:
        return [f"cannot read the dump folder: {state.unreadable}"]
    if state.log_refused is not None:
        return [f"cannot read the log: {state.log_refused} (refused)"]
    return []


def cannot_read(state: DumpState, problems: list[str]) -> str:
    """The report's error when there is no log: `cannot read: <reason>` when one was refused or
    failed, else that there was none."""
    if state.unreadable is not None:
        return f"cannot read: {state.unreadable}"
    if state.log_refused is not None:
        return f"cannot read: {state.log_refused}"
    failed = next((p for p in problems if p.startswith("cannot read ")), None)
    return f"cannot read: {failed.removeprefix('cannot read ')}" if failed else "no kernel log available"


def read_log_bytes(path: Path) -> bytes:
    """The log through kcrashd.sources.logfile (bounded memory, symlinks refused)."""
    from kcrashd.sources.logfile import LogFileError, read_log

    try:
        return read_log(path, follow_symlinks=False)
    except LogFileError as exc:
        raise LogError(str(exc)) from None


__all__ = ["Action", "Handled", "Pipeline", "StateLock", "Step", "TokenBucket", "crash_id_for", "is_transient"]
