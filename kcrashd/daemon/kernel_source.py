"""The kernel journal as a crash source (docs/reboots.md): kernel reports that did not need a dump,
and boots that ended with neither a clean shutdown nor a dump.

The daemon waits on `fileno()` with everything else and calls `on_ready()` when it is readable and
`service(now)` when `next_at()` is due: new kernel lines are cut into reports once the kernel has
been quiet for `settle_seconds`; previous boots are read once; the previous boot's end is judged
`capture_window_minutes` after this boot began, when a dump of it would have been found. A cursor
per boot in the state database (kcrashd.store.boot_ledger) means nothing is read twice or missed across
restarts; a report's crash id comes from its header line's cursor, so it is journaled once even
if its lines are read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kcrashd.config.alerting import SEVERITY_ORDER
from kcrashd.core.model import Report, Severity
from kcrashd.model.crash import BootFacts, CrashRecord
from kcrashd.model.reboot import (
    KDUMP_UNITS,
    LAST_LINES,
    UNIT_STARTED,
    BootEnd,
    Verdict,
    hint_of,
    judge_tail,
    kdump_fact,
    pstore_fact,
    went_on_until,
)
from kcrashd.pipeline import crash_id_for
from kcrashd.sources.kernel_journal import (
    BootSpan,
    KernelLine,
    Reader,
    current_boot_id,
    kernel_lines,
    last_entries,
    list_boots,
    matching_entries,
    open_reader,
)  # fmt: skip
from kcrashd.store.boot_ledger import JOURNAL_LAYOUT, UNEXPLAINED_KIND, BootLedger, journal_dir
from kcrashd.triage.pool import TriagePending

if TYPE_CHECKING:
    from kcrashd.config.settings import Config
    from kcrashd.pipeline import Pipeline
    from kcrashd.sources.kernel_reports import ReportText, Split

log = logging.getLogger(__name__)

# Kernel lines cut into reports at a time while reading a backlog: a few times the longest report
# (kernel_reports.OPEN_TAIL, 1,000 lines), so little is cut twice, and few enough that the lines held
# at once stay small (their memory is reused, not kept: idle RSS after a backlog, bench/kernel_journal.py).
STRETCH = 4000
TAIL_FIELDS = ("MESSAGE_ID", "SYSLOG_IDENTIFIER", "UNIT", "MESSAGE", "_TRANSPORT")


def line_ino(cursor: str) -> int:
    """A stable number for a report, from its header line's journal cursor (never 0)."""
    return int(hashlib.sha256(cursor.encode()).hexdigest()[:15], 16) | 1


def load_cutter() -> Callable[..., Split]:
    """The core's header search (kcrashd.sources.kernel_reports), loaded once there are kernel lines to cut
    (idle memory). Loaded before a backlog's lines are read, its tables are not allocated among
    them, where they would keep the memory the lines leave from going back to the system."""
    from kcrashd.sources.kernel_reports import split_reports

    return split_reports


class NotYet(Exception):
    """A report is with a triage worker: the pass stops here and resumes at `next_at`."""


class KernelJournalSource:
    """Reads the kernel's lines from the journal and turns them into recorded, journaled crashes."""

    def __init__(
        self, config: Config, pipeline: Pipeline, *, reader: Reader | None = None, boot_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.config = config
        self.settings = config.kernel_journal
        self.pipeline = pipeline
        self.own_reader = reader is None
        self.reader = reader if reader is not None else open_reader(self.settings.path)
        # the descriptor (inotify) first: what is written after this wakes the loop, even while reading
        self.reader.fileno()
        self.boot_id = boot_id or current_boot_id(self.reader)
        self.clock = clock
        self.ledger = BootLedger(pipeline.store.conn)
        self.buffer: list[KernelLine] = []
        self.read_cursor: str | None = None
        self.settle_at: float | None = None
        self.history_due = True
        self.history_at = clock()
        self.verdict: tuple[BootSpan, BootEnd, float] | None = None  # previous boot, its end, when to judge
        self.boot_start = clock()
        self.previous: list[BootSpan] = []
        self.retry_at: float | None = None
        self.spans: dict[str, BootSpan] = {}

    # --- the daemon's side ------------------------------------------------------------------

    def fileno(self) -> int:
        return self.reader.fileno()

    def start(self) -> None:
        """Find this boot's and the previous boot's place; arm the previous boot's verdict."""
        spans = list_boots(self.reader)
        self.spans = {span.boot_id: span for span in spans}
        current = next((s for s in spans if s.boot_id == self.boot_id), None)
        if current is not None:
            self.boot_start = current.first_usec / 1e6
        mark = self.ledger.get(self.boot_id)
        self.read_cursor = mark.cursor if mark else None
        before = [s for s in spans if current is None or s.first_usec < current.first_usec]
        before = [s for s in before if s.boot_id != self.boot_id]
        self.previous = self.history_of(before)
        if before and (prev_mark := self.ledger.get(before[-1].boot_id)) is not None and prev_mark.verdict:
            return
        if before:
            self.arm_verdict(before[-1])

    def history_of(self, before: list[BootSpan]) -> list[BootSpan]:
        """The previous boots to read: at first start the last `history_boots`; later, every boot
        since the newest one already known (known ones resume at their cursor)."""
        known = [n for n, span in enumerate(before) if self.ledger.get(span.boot_id) is not None]
        if not known:
            return before[len(before) - self.settings.history_boots :] if self.settings.history_boots else []
        return before[known[-1] :]

    def next_at(self) -> float | None:
        times = [t for t in (self.settle_at, self.verdict[2] if self.verdict else None) if t is not None]
        if self.history_due:
            times.append(self.history_at)  # a fixed past time: "now" would always lie after the caller's now
        due = min(times) if times else None
        if due is not None and self.retry_at is not None:
            due = max(due, self.retry_at)  # a triage worker is on a report: not before it can answer
        return due

    def on_ready(self) -> None:
        """The journal changed: read this boot's new kernel lines into the buffer."""
        self.reader.process()
        with contextlib.suppress(NotYet):
            self.read_current()

    def service(self, now: float) -> None:
        """Do what is due: the history pass, a settled burst of lines, the previous boot's verdict.
        A report still with a triage worker ends the call; the same work resumes at `next_at`."""
        if self.retry_at is not None and now < self.retry_at:
            return
        self.retry_at = None
        with contextlib.suppress(NotYet):
            self.serve_due(now)

    def serve_due(self, now: float) -> None:
        old_boots = False
        if self.history_due:
            for span in self.previous:
                self.read_boot(span, went_on=self.went_on(span))
            self.history_due = False
            self.read_current()
            old_boots = bool(self.previous)
        if self.settle_at is not None and now >= self.settle_at:
            self.buffer = self.flush(self.boot_id, self.buffer, finished=True)
            self.settle_at = None
        if self.verdict is not None and now >= self.verdict[2]:
            span, end, _ = self.verdict
            self.verdict = None
            self.judge(span, end)
            old_boots = True
        if old_boots:
            self.reopen()

    def run_once(self, now: float) -> None:
        """`kcrashd scan`: the previous boots once, this boot so far, and the previous boot's end
        when its capture window is over. A report at the end of this boot's lines that may still
        be growing (the kernel spoke less than `settle_seconds` ago) is left, unread, for later."""
        self.serve_due(now)
        if self.buffer:
            quiet = now - self.buffer[-1].realtime_usec / 1e6 >= self.settings.settle_seconds
            self.buffer = self.flush(self.boot_id, self.buffer, finished=quiet)
        self.settle_at = None

    def close(self) -> None:
        self.reader.close()

    @contextlib.contextmanager
    def pass_reader(self) -> Iterator[Reader]:
        """A reader of its own for one pass over a previous boot. sd-journal leaves a journal file
        out of a reader for good once an iteration reaches an entry it cannot read (a reset tears
        the file journald was writing: tests/kernel_journal/torn_journal.py); a pass that reached
        the tear must not hide the rest of the boot from the next pass. An injected reader is used
        as it is."""
        if not self.own_reader:
            yield self.reader
            return
        reader = open_reader(self.settings.path)
        try:
            yield reader
        finally:
            reader.close()

    def reopen(self) -> None:
        """A fresh reader after reading old boots: the old one keeps their journal files mapped
        (resident pages an idle daemon need not hold). This boot goes on from its cursor."""
        if self.own_reader:
            self.reader.close()
            self.reader = open_reader(self.settings.path)
            self.reader.fileno()
            self.read_current()

    # --- reading ------------------------------------------------------------------------------

    def read_current(self) -> None:
        new = list(kernel_lines(self.reader, self.boot_id, self.read_cursor))
        if not new:
            return
        self.buffer.extend(new)
        self.read_cursor = new[-1].cursor
        self.settle_at = self.clock() + self.settings.settle_seconds
        while len(self.buffer) > STRETCH:
            self.buffer = self.flush(self.boot_id, self.buffer, finished=False)

    def read_boot(self, span: BootSpan, *, went_on: int | None) -> None:
        """A previous boot's kernel lines from its cursor to its end, once."""
        mark = self.ledger.get(span.boot_id)
        lines: list[KernelLine] = []
        with self.pass_reader() as reader:
            for line in kernel_lines(reader, span.boot_id, mark.cursor if mark else None):
                if not lines:
                    load_cutter()
                lines.append(line)
                if len(lines) > STRETCH:
                    lines = self.flush(span.boot_id, lines, finished=False, went_on=went_on)
        self.flush(span.boot_id, lines, finished=True, went_on=went_on)
        if mark is None and not self.ledger.get(span.boot_id):
            self.ledger.advance(span.boot_id, None, 0)  # known, even without kernel lines

    def flush(
        self, boot_id: str, lines: list[KernelLine], *, finished: bool, went_on: int | None = None
    ) -> list[KernelLine]:
        """Cut lines into reports, journal them, move the boot's cursor past what was used; the
        lines not used yet are returned. `went_on`: for a boot that ended uncleanly, when user
        space last wrote to its journal; a report that began after that took the machine down
        with it (KCRASHD_SURVIVED=0). Raises NotYet (nothing moved) while a worker triages."""
        split = load_cutter()(lines, finished=finished)
        mark = self.ledger.get(boot_id)
        room = self.settings.max_reports_per_boot - (mark.reports if mark else 0)
        journaled = 0
        for chunk in split.reports:
            if journaled >= room:
                log.warning(
                    "boot %s: over %d kernel reports; the rest are not journaled",
                    boot_id,
                    self.settings.max_reports_per_boot,
                )
                break
            ran_on = went_on is None or chunk.header.realtime_usec < went_on
            if self.journal_report(boot_id, chunk, survived_hint=ran_on):
                journaled += 1
        used = split.keep_from
        self.ledger.advance(boot_id, lines[used - 1].cursor if used else None, journaled)
        if (span := self.spans.get(boot_id)) is not None:  # for a dump that arrives later (report_for_dump)
            self.ledger.span(boot_id, span.first_usec / 1e6, None if boot_id == self.boot_id else span.last_usec / 1e6)
        return lines[used:]

    def went_on(self, span: BootSpan) -> int | None:
        """None when the boot ended cleanly, else when its user space last wrote (reboot.went_on_until)."""
        with self.pass_reader() as reader:
            tail = last_entries(reader, span.boot_id, TAIL_FIELDS)
        return None if judge_tail(span.boot_id, tail).clean_by is not None else went_on_until(tail)

    # --- one report -------------------------------------------------------------------------------

    def journal_report(self, boot_id: str, chunk: ReportText, *, survived_hint: bool) -> bool:
        """Triage one report as the pipeline would, and record and journal it; False if known or empty."""
        ino = line_ino(chunk.header.cursor)
        if self.pipeline.store.find(journal_dir(boot_id), ino) is not None:
            return False  # read again after a stop or while a worker had another report: known
        text = chunk.text.encode()
        report = self.triage(text, journal_dir(boot_id))
        if not report.has_crash:
            return False
        survived = survived_hint and not report.panicked
        now = self.clock()
        start, end = self.boot_bounds(boot_id, now)
        link = self.ledger.find_dump(
            start, end + self.settings.capture_window_minutes * 60, report.fingerprint
        )
        record = self.record_of(
            boot_id, report, chunk.header.moment, now, ino=ino, survived=survived, link=link
        )
        page = (
            not survived or SEVERITY_ORDER[report.severity] >= SEVERITY_ORDER[self.settings.page_min_severity]
        )
        stored = self.pipeline.record_found(record, ino=ino, page=page, text=text)
        if stored is not None and link is not None:
            self.ledger.link(stored.crash_id, link)
        return stored is not None

    def triage(self, data: bytes, source: str) -> Report:
        """The pipeline's analyzer (under the daemon: a worker process with its deadline). A report
        the worker has not finished within the analyzer's patience raises NotYet: the daemon's loop
        services the worker meanwhile, and the same call later takes the finished report."""
        try:
            return self.pipeline.analyze(data, source=source)
        except TriagePending as pending:
            self.retry_at = self.clock() + pending.wait
            raise NotYet from None

    def boot_bounds(self, boot_id: str, now: float) -> tuple[float, float]:
        """When a boot began and ended (this boot: until now), in epoch seconds."""
        span = self.spans.get(boot_id)
        if boot_id == self.boot_id or span is None:
            return self.boot_start, now
        return span.first_usec / 1e6, span.last_usec / 1e6

    def record_of(
        self, boot_id: str, report: Report, when: datetime, now: float, *, ino: int, survived: bool | None,
        link: str | None, boot: BootFacts | None = None,
    ) -> CrashRecord:  # fmt: skip
        dump_dir = journal_dir(boot_id)
        max_age = float(getattr(getattr(self.config.alerts, "policy", None), "max_page_age_hours", 24.0))
        return CrashRecord(
            crash_id=crash_id_for(dump_dir, ino),
            report=report, host=self.pipeline.local_host, dump_dir=dump_dir, layout=JOURNAL_LAYOUT,
            source=JOURNAL_LAYOUT, crash_time=when, detected_at=datetime.fromtimestamp(now, UTC), first_seen=when,
            log_origin="journal", vmcore_state="absent", too_old_to_page=now - when.timestamp() > max_age * 3600,
            boot_id=boot_id, survived=survived, linked_crash_id=link, boot=boot,
        )  # fmt: skip

    # --- the previous boot's end ------------------------------------------------------------------------

    def arm_verdict(self, span: BootSpan) -> None:
        with self.pass_reader() as reader:
            end = judge_tail(span.boot_id, last_entries(reader, span.boot_id, TAIL_FIELDS))
        if end.clean_by is not None:
            log.info("previous boot %s ended cleanly (%s)", span.boot_id, end.clean_by)
            self.ledger.decide(span.boot_id, Verdict.CLEAN, None)
            return
        self.verdict = (span, end, self.boot_start + self.settings.capture_window_minutes * 60)

    def judge(self, span: BootSpan, end: BootEnd) -> None:
        """The previous boot ended without a shutdown record: linked to its dump, or journaled as an
        unexplained reboot with the facts the journal holds."""
        until = self.boot_start + self.settings.capture_window_minutes * 60
        dump = self.ledger.find_dump(span.first_usec / 1e6, until)
        for crash_id, fingerprint in self.ledger.journal_reports(span.boot_id):
            same = self.ledger.find_dump(span.first_usec / 1e6, until, fingerprint)
            if same is not None:
                self.ledger.link(crash_id, same)
        if dump is not None:
            log.info("previous boot %s ended without a shutdown; its dump is crash %s", span.boot_id, dump)
            self.ledger.decide(span.boot_id, Verdict.DUMP, dump)
            return
        from kcrashd.core.fingerprint import fingerprint_title  # loads the frame tables: only here

        facts = self.boot_facts(span, end)
        host = self.pipeline.local_host
        title = f"unexplained reboot of {host}"
        report = Report(
            kind=UNEXPLAINED_KIND, title=title, severity=Severity.ERROR, fingerprint=fingerprint_title(title),
            excerpt=facts.last_lines, source=journal_dir(span.boot_id),
        )  # fmt: skip
        when = datetime.fromtimestamp(span.last_usec / 1e6, UTC)
        record = self.record_of(
            span.boot_id, report, when, self.clock(), survived=None, link=None, boot=facts, ino=0
        )
        stored = self.pipeline.record_found(record, ino=0, page=self.settings.page_unexplained_reboot)
        crash_id = stored.crash_id if stored is not None else record.crash_id
        log.warning(
            "previous boot %s ended without a shutdown and left no dump: journaled as %s",
            span.boot_id,
            crash_id,
        )
        self.ledger.decide(span.boot_id, Verdict.UNEXPLAINED, crash_id)

    def boot_facts(self, span: BootSpan, end: BootEnd) -> BootFacts:
        """Last kernel lines, uptime at the end, and the hints that are facts."""
        last: list[str] = []
        hints: dict[str, None] = {}
        with self.pass_reader() as reader:
            for line in kernel_lines(reader, span.boot_id, None):
                last.append(line.dmesg())
                if len(last) > 2 * LAST_LINES:
                    del last[:LAST_LINES]
                fact = hint_of(line.text)
                if fact is not None:
                    hints[fact] = None
        started: list[dict[str, str]] = []
        for unit in KDUMP_UNITS:
            with self.pass_reader() as reader:
                started += matching_entries(
                    reader, span.boot_id, ("UNIT", "INVOCATION_ID", "JOB_RESULT"), MESSAGE_ID=UNIT_STARTED, UNIT=unit
                )
        facts = [*hints, kdump_fact(started), self.pstore_hint()]
        return BootFacts(
            boot_id=span.boot_id, started=datetime.fromtimestamp(span.first_usec / 1e6, UTC),
            ended=datetime.fromtimestamp(span.last_usec / 1e6, UTC), uptime_seconds=end.uptime_seconds,
            last_lines=last[-LAST_LINES:], hints=facts,
        )  # fmt: skip

    def pstore_hint(self) -> str:
        where = self.config.sources.pstore_path
        try:
            names = sorted(os.listdir(where))
        except OSError:
            names = []
        return pstore_fact(names, str(where))
