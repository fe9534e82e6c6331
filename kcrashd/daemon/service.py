"""`kcrashd run` and `kcrashd scan`: arm the watch, scan the backlog, feed the pipeline, talk to systemd.

The loop blocks in select() on one descriptor (signals and watcher threads write to it) with a
timeout that is the next due time: a dump waiting to settle, the watchdog ping, the daily
retention pass. With nothing pending and no watchdog it sleeps indefinitely.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import heapq
import itertools
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from kcrashd.config.grouping_rules import load_rules
from kcrashd.config.settings import Config, ConfigError, load_config
from kcrashd.daemon.notify import Notifier
from kcrashd.pipeline import (
    TRIAGE_RUNNING,
    Action,
    Enqueue,
    Handled,
    Pipeline,
    StateLock,
    StepHook,
    load_enqueue,
)
from kcrashd.sinks import CrashJournal
from kcrashd.sinks.journal import SystemdJournal
from kcrashd.sources.units import CrashUnit, scan_all, unit_for_path
from kcrashd.store.database import Store, StoreError
from kcrashd.triage.pool import DeadlineAnalyzer, Key, TriagePool, usable_cores

if TYPE_CHECKING:
    from kcrashd.core.operator_rules import OperatorRules
    from kcrashd.daemon.metrics import MetricsServer
    from kcrashd.sinks.alerting.lanes import AlertLanes

if TYPE_CHECKING:
    from kcrashd.daemon.kernel_source import KernelJournalSource

log = logging.getLogger(__name__)

RETENTION_EVERY = 86400.0
# Our own reads raise IN_OPEN/IN_CLOSE_NOWRITE: listen only to what a dump producer does.
WATCHED_EVENTS = (
    "FileCreatedEvent",
    "DirCreatedEvent",
    "FileMovedEvent",
    "DirMovedEvent",
    "FileModifiedEvent",
    "FileClosedEvent",
    "FileDeletedEvent",
    "DirDeletedEvent",
)
BULK_NAMES = ("vmcore", "dump", "opalcore")
FOLLOW_LIMIT = 64
UNWATCHED_EVERY = 5.0  # seconds between looks at an unfinished folder no watch could be added for
NEW_WATCH, COVERED, UNWATCHED = "new watch", "covered", "unwatched"
PATIENCE = 2.0  # seconds the loop waits for a log's report before it turns to other work


class Schedule:
    """Units due at a wall-clock time; a unit is queued once, at its earliest due time."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, Path]] = []
        self.due: dict[Path, tuple[float, CrashUnit]] = {}
        self.counter = itertools.count()

    def add(self, unit: CrashUnit, at: float) -> None:
        current = self.due.get(unit.path)
        if current is not None and current[0] <= at:
            return
        self.due[unit.path] = (at, unit)
        heapq.heappush(self.heap, (at, next(self.counter), unit.path))

    def pop_due(self, now: float) -> CrashUnit | None:
        while self.heap:
            at, _, path = self.heap[0]
            current = self.due.get(path)
            if current is None or current[0] != at:
                heapq.heappop(self.heap)  # superseded entry
                continue
            if at > now:
                return None
            heapq.heappop(self.heap)
            del self.due[path]
            return current[1]
        return None

    def next_at(self) -> float | None:
        while self.heap:
            at, _, path = self.heap[0]
            current = self.due.get(path)
            if current is None or current[0] != at:
                heapq.heappop(self.heap)
                continue
            return at
        return None

    def __len__(self) -> int:
        return len(self.due)


def make_store(config: Config) -> Store:
    """The state database (every component's schema, the outbox included) in the state directory."""
    return Store(config.state.state_dir)


class Watcher:
    """watchdog's inotify Observer (or its PollingObserver for NFS) over every configured root.

    A dump path is watched without recursion, plus one watch per dump folder that is still being
    written (`follow`/`release`): a dump server with years of finished dumps holds a handful of
    watches, not one per folder (kernel watch limits, and about 1.7 KiB of watchdog state each).
    The pstore archive, written once at boot and a few levels deep, is watched recursively.
    """

    def __init__(
        self, config: Config, push: Callable[[Path], None], on_overflow: Callable[[], None] | None = None
    ) -> None:
        from watchdog import events

        self.push = push
        self.overflow_alarm: OverflowAlarm | None = None
        if on_overflow is not None:
            self.overflow_alarm = OverflowAlarm(on_overflow)
            self.overflow_alarm.attach()
        self.observer: Any
        self.polling = config.sources.poll
        if self.polling:
            from watchdog.observers.polling import PollingObserver

            self.observer = PollingObserver(timeout=config.sources.poll_interval)
        else:
            from watchdog.observers import Observer

            self.observer = Observer(timeout=3600.0)
        self.wanted = [getattr(events, name) for name in WATCHED_EVENTS if hasattr(events, name)]
        self.handler = Handler(self.on_path)
        self.dump_roots = set(config.sources.dump_paths)
        self.followed: dict[Path, Any] = {}
        roots = [(root, self.polling) for root in config.sources.dump_paths]
        if config.sources.pstore:
            roots.append((config.sources.pstore_path, True))
        self.roots: list[Path] = []
        for root, recursive in roots:
            if not os.path.isdir(root):
                log.warning("not watching %s: no such directory (it is scanned when it appears after a reload)", root)
                continue
            try:
                self.observer.schedule(self.handler, str(root), recursive=recursive, event_filter=self.wanted)
                self.roots.append(root)
            except OSError as exc:
                log.error("cannot watch %s: %s (inotify limits? set sources.poll = true)", root, exc)
        self.observer.start()

    def follow(self, folder: Path) -> str:
        """Watch a dump folder that is not finished. NEW_WATCH: events from before the watch may
        be lost, so the caller looks at the folder once more; COVERED: already watched (or polled,
        or under the recursive pstore watch); UNWATCHED: over the limit or refused by the kernel."""
        if self.polling or folder in self.followed or folder.parent not in self.dump_roots:
            return COVERED
        if len(self.followed) >= FOLLOW_LIMIT:
            log.debug("not watching %s: %d unfinished dumps already watched", folder, FOLLOW_LIMIT)
            return UNWATCHED
        try:
            self.followed[folder] = self.observer.schedule(
                self.handler, str(folder), recursive=False, event_filter=self.wanted
            )
        except OSError as exc:
            log.warning("cannot watch %s: %s; looking at it every %.0f s instead", folder, exc.strerror or exc, UNWATCHED_EVERY)
            return UNWATCHED
        return NEW_WATCH

    def release(self, folder: Path) -> None:
        """Stop watching a folder whose dump is finished (or gone)."""
        watch = self.followed.pop(folder, None)
        if watch is not None:
            with contextlib.suppress(KeyError, OSError):
                self.observer.unschedule(watch)

    def on_path(self, path: str, modified_only: bool) -> None:
        name = os.path.basename(path)
        if modified_only and name.startswith(BULK_NAMES) and not name.endswith(".txt"):
            return  # a vmcore being written: its rename or close tells us when it is done
        self.push(Path(path))

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=10)
        if self.overflow_alarm is not None:
            self.overflow_alarm.detach()


class OverflowAlarm(logging.Handler):
    """When the kernel's inotify queue overflows, events are lost; watchdog only logs it and
    rebuilds its watches. This catches that record so the daemon rescans every dump path."""

    LOGGER = "watchdog.observers.inotify_c"

    def __init__(self, on_overflow: Callable[[], None]) -> None:
        super().__init__(level=logging.WARNING)
        self.on_overflow = on_overflow

    def attach(self) -> None:
        source = logging.getLogger(self.LOGGER)
        if source.getEffectiveLevel() > logging.WARNING:
            source.setLevel(logging.WARNING)
        source.addHandler(self)

    def detach(self) -> None:
        logging.getLogger(self.LOGGER).removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()


class Handler:
    """Adapter from watchdog's handler protocol to one callback per path."""

    def __init__(self, callback: Callable[[str, bool], None]) -> None:
        self.callback = callback

    def dispatch(self, event: Any) -> None:
        modified = type(event).__name__ in ("FileModifiedEvent", "DirModifiedEvent")
        for attr in ("src_path", "dest_path"):
            value = getattr(event, attr, "")
            if value:
                self.callback(os.fsdecode(value), modified)


class Daemon:
    """The long-running service."""

    def __init__(
        self,
        config_path: Path | None,
        overrides: dict[str, Any],
        *,
        journal: CrashJournal | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        worker_command: list[str] | None = None,
        on_step: StepHook | None = None,
    ) -> None:
        self.config_path = config_path
        self.on_step = on_step
        self.overrides = overrides
        self.config = load_config(config_path, overrides)
        self.rules = load_rules(self.config, config_path)
        self.journal = journal or SystemdJournal()
        self.notifier = notifier or Notifier()
        self.clock = clock
        self.schedule = Schedule()
        self.inbox: list[Path] = []
        self.inbox_lock = threading.Lock()
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.stop_requested = False
        self.reload_requested = False
        self.rescan_requested = False
        self.journaled = 0
        self.watcher: Watcher | None = None
        self.next_ping: float | None = None
        self.alert_thread: AlertLanes | None = None
        self.worker_command = worker_command  # None: python -m kcrashd.triage.worker
        self.triaging: dict[Key, CrashUnit] = {}  # units whose log a worker is analysing, by log
        self.triaged = 0  # the pool's `completed` when those units were last requeued
        self.metrics: MetricsServer | None = None
        self.kernel_journal: KernelJournalSource | None = None

    # --- wiring ---------------------------------------------------------------------------

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe: the loop is awake anyway
            os.write(self.wake_w, b"x")

    def push_path(self, path: Path) -> None:
        with self.inbox_lock:
            self.inbox.append(path)
        self.wake()

    def on_overflow(self) -> None:
        self.rescan_requested = True
        self.wake()

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload_requested = True
        else:
            self.stop_requested = True

    def open(self) -> None:
        self.enqueue: Enqueue = load_enqueue()
        self.store = make_store(self.config)
        self.lock = StateLock(self.config.state.state_dir)
        self.triage = TriagePool(
            self.triage_timeout(self.config), triage_workers(), command=self.worker_command, rules=self.rules
        )
        self.analyzer = DeadlineAnalyzer(self.triage, patience=PATIENCE, tick=self.tick)
        self.pipeline = self.make_pipeline(self.config)
        self.start_alerts()
        self.start_metrics()
        self.start_kernel_journal()

    def make_pipeline(self, config: Config) -> Pipeline:
        return Pipeline(
            config, self.store, self.journal, self.lock, enqueue=self.enqueue, on_enqueued=self.alerts_wake,
            on_step=self.on_step, tick=self.tick, analyze=self.analyzer,
        )  # fmt: skip

    def triage_timeout(self, config: Config) -> float:
        """`daemon.triage_timeout`, kept below half the watchdog timeout systemd gave us."""
        timeout = config.daemon.triage_timeout
        ping = self.notifier.watchdog_interval  # half of WatchdogSec
        if ping is not None and config.daemon.watchdog and timeout >= ping:
            log.error("daemon.triage_timeout = %g s is not below half of WatchdogSec (%g s): using %g s", timeout, ping, ping / 2)
            return ping / 2
        return timeout

    def tick(self) -> None:
        """Called during long work (makedumpfile): a watchdog ping if one is due."""
        if self.next_ping is not None and time.monotonic() >= self.next_ping:
            self.notifier.watchdog()
            self.next_ping = time.monotonic() + (self.notifier.watchdog_interval or 0)

    def alerts_wake(self) -> None:
        if self.alert_thread is not None:
            self.alert_thread.poke()

    def start_alerts(self) -> None:
        alerts = self.config.alerts
        if not alerts.enabled or not alerts.targets:
            return
        from kcrashd.sinks.alerting.delivery import Deliverer  # the HTTP stack: only with targets
        from kcrashd.sinks.alerting.doorbell import Doorbell
        from kcrashd.sinks.alerting.lanes import AlertLanes

        deliverer = Deliverer(self.store.path, alerts)
        try:
            doorbell: Doorbell | None = Doorbell(self.config.state.state_dir)
        except OSError as exc:
            log.warning("no doorbell for `kcrashd resend` (%s): re-queued alerts wait for the next delivery", exc)
            doorbell = None
        self.alert_thread = AlertLanes(deliverer, doorbell)
        self.alert_thread.start()

    def stop_alerts(self) -> None:
        if self.alert_thread is not None:
            self.alert_thread.stop()
            self.alert_thread = None

    def start_kernel_journal(self) -> None:
        """The kernel journal source (kcrashd.daemon.kernel_source), when `[kernel_journal] enabled`."""
        if not self.config.kernel_journal.enabled:
            return
        from kcrashd.daemon.kernel_source import KernelJournalSource

        try:
            self.kernel_journal = KernelJournalSource(self.config, self.pipeline, clock=self.clock)
            self.kernel_journal.start()
        except OSError as exc:
            log.error("not reading kernel reports from the journal: %s", exc)
            self.kernel_journal = None

    def serve_kernel_journal(self, ready: list[int], now: float) -> None:
        """The journal's descriptor was readable, or the source has something due."""
        source = self.kernel_journal
        if source is None:
            return
        try:
            if source.fileno() in ready:
                source.on_ready()
            due = source.next_at()
            if due is not None and due <= now:
                backlog = source.history_due
                source.service(now)
                if (backlog and not source.history_due) or source.next_at() is None:
                    release_memory()  # previous boots read, or a burst cut: give the heap back
        except Exception:  # the journal source must not stop the daemon
            log.exception("reading kernel reports from the journal failed; trying again later")

    def start_metrics(self) -> None:
        """Serve /metrics when `[metrics] listen` is set; only then is prometheus-client imported.
        A port that cannot be bound is logged, not fatal: the scrape then fails (`up == 0`)."""
        if not self.config.metrics.listen:
            return
        from kcrashd.daemon.deferred_module import defer

        defer("prometheus_client")  # its submodules, without the __init__ that brings ssl (kcrashd.daemon.metrics)
        from kcrashd.daemon.metrics import start_metrics

        try:
            self.metrics = start_metrics(self.config)
        except OSError as exc:
            log.error("cannot serve metrics on %s: %s", self.config.metrics.listen, exc)

    def stop_metrics(self) -> None:
        if self.metrics is not None:
            self.metrics.stop()
            self.metrics = None

    def close(self) -> None:
        self.stop_metrics()
        if self.kernel_journal is not None:
            self.kernel_journal.close()
            self.kernel_journal = None
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.stop_alerts()
        self.triage.close()
        self.store.close()
        self.lock.close()

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGHUP, self.on_signal)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        self.open()
        try:
            recovered = self.pipeline.recover()
            if recovered:
                log.info("finished %d crash(es) interrupted by the previous stop", recovered)
            # armed before the scan: nothing slips between
            self.watcher = Watcher(self.config, self.push_path, self.on_overflow)
            queued = self.scan_backlog()
            self.prune()
            self.notifier.ready(self.status_line(f"backlog of {queued} dump(s) queued"))
            log.info("ready: watching %s; %d dump(s) in the backlog", ", ".join(map(str, self.watcher.roots)) or "nothing", queued)
            self.loop()
        finally:
            self.notifier.stopping()
            self.close()
        log.info("stopped")
        return 0

    def scan_backlog(self) -> int:
        now = self.clock()
        count = 0
        for unit in scan_all(self.config.sources):
            self.schedule.add(unit, now)
            count += 1
        return count

    def loop(self) -> None:
        ping = self.notifier.watchdog_interval if self.config.daemon.watchdog else None
        self.next_ping = time.monotonic() if ping else None
        next_prune = self.clock() + RETENTION_EVERY
        last_status = time.monotonic()
        dirty = worked = False
        while not self.stop_requested:
            if self.reload_requested:
                self.reload_requested = False
                self.reload()
            if self.rescan_requested:
                self.rescan_requested = False
                log.warning("inotify dropped events (queue overflow): rescanning the dump paths")
                self.scan_backlog()
            self.drain_inbox()
            now = self.clock()
            if now >= next_prune:
                self.prune()
                next_prune = now + RETENTION_EVERY
            unit = self.schedule.pop_due(now)
            if unit is not None:
                self.process(unit)
                self.service_triage()
                dirty = worked = True
                self.tick()
                if time.monotonic() - last_status > 5.0:  # a long backlog: progress now and then
                    self.notifier.status(self.status_line())
                    last_status = time.monotonic()
                    dirty = False
                continue
            if dirty:  # idle again: one STATUS= for the burst
                self.notifier.status(self.status_line())
                last_status = time.monotonic()
                dirty = False
            if worked and not len(self.schedule):
                self.store.shrink_cache()
                release_memory()
                worked = False
            self.serve_kernel_journal([], now)
            timeout = self.timeout(now, next_prune, self.next_ping)
            journal_fds = [self.kernel_journal.fileno()] if self.kernel_journal else []
            ready, _, _ = select.select([self.wake_r, *self.triage.fds(), *journal_fds], [], [], timeout)
            self.serve_kernel_journal(ready, self.clock())
            if self.wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    while os.read(self.wake_r, 4096):
                        pass
            self.service_triage()
            self.tick()

    def timeout(self, now: float, next_prune: float, next_ping: float | None) -> float | None:
        candidates = [next_prune - now]
        due = self.schedule.next_at()
        if due is not None:
            candidates.append(due - now)
        if next_ping is not None:
            candidates.append(next_ping - time.monotonic())
        triage_due = self.triage.next_due()
        if triage_due is not None:
            candidates.append(triage_due - self.triage.clock())
        if self.kernel_journal is not None and (journal_due := self.kernel_journal.next_at()) is not None:
            candidates.append(journal_due - now)
        return max(0.0, min(candidates))

    def service_triage(self) -> None:
        """Collect the workers' reports, enforce their deadlines; a unit whose log is done (or
        no longer known to the pool) is handled again at once, and takes its report."""
        self.triage.service()
        if self.triage.completed != self.triaged:
            self.triaged = self.triage.completed
            now = self.clock()
            for key in [key for key in self.triaging if not self.triage.busy(key)]:
                self.schedule.add(self.triaging.pop(key), now)

    def drain_inbox(self) -> None:
        with self.inbox_lock:
            paths, self.inbox = self.inbox, []
        if not paths:
            return
        now = self.clock()
        for path in dict.fromkeys(paths):
            unit = unit_for_path(path, self.config.sources)
            if unit is not None:
                self.schedule.add(unit, now)

    def process(self, unit: CrashUnit) -> Handled:
        try:
            outcome = self.pipeline.handle(unit)
        except Exception:  # a bug must not stop the daemon: log it and retry later
            log.exception("unexpected error while processing %s; will retry", unit.path)
            outcome = Handled(Action.FAILED, retry_at=self.clock() + self.config.daemon.retry_seconds)
        if outcome.detail == TRIAGE_RUNNING and self.analyzer.pending is not None:
            self.triaging[self.analyzer.pending] = unit
        if outcome.action is Action.JOURNALED:
            self.journaled += 1
        if outcome.retry_at is not None:
            self.schedule.add(unit, outcome.retry_at)
        self.watch_if_unfinished(unit, outcome)
        return outcome

    def watch_if_unfinished(self, unit: CrashUnit, outcome: Handled) -> None:
        """A folder still being written is watched so its final renames are seen at once; a finished
        one is not (the pipeline's timers cover a vmcore that may still come)."""
        if self.watcher is None:
            return
        if not outcome.watch:
            self.watcher.release(unit.path)
            return
        watched = self.watcher.follow(unit.path)
        if watched == NEW_WATCH:
            self.schedule.add(unit, self.clock())
        elif watched == UNWATCHED:
            self.schedule.add(unit, self.clock() + UNWATCHED_EVERY)

    def status_line(self, prefix: str = "") -> str:
        try:
            counts = self.store.counts()
        except Exception:
            counts = {"crashes": -1, "fingerprints": -1, "pending": -1}
        parts = [prefix] if prefix else []
        parts.append(
            f"{counts['crashes']} crash(es) recorded, {counts['fingerprints']} fingerprint(s); "
            f"{self.journaled} journaled by this run; {len(self.schedule)} dump(s) waiting"
        )
        return "; ".join(parts)

    def prune(self) -> None:
        older = datetime.now(UTC) - timedelta(days=self.config.state.retention_days)
        try:
            removed = self.store.prune(older, folder_gone)
        except Exception as exc:
            log.error("retention pass failed: %s", exc)
            return
        if removed:
            log.info("forgot %d crash(es) older than %d days whose dumps are gone", removed, self.config.state.retention_days)

    def reload(self) -> None:
        self.notifier.reloading()
        try:
            config = load_config(self.config_path, self.overrides)
            rules = load_rules(config, self.config_path)
        except ConfigError as exc:
            log.error("configuration NOT reloaded, keeping the previous one: %s", exc)
            self.notifier.ready(self.status_line("reload refused: invalid configuration"))
            return
        except Exception:  # a reload never stops the daemon, whatever the file holds
            log.exception("configuration NOT reloaded (unexpected error), keeping the previous one")
            self.notifier.ready(self.status_line("reload refused: invalid configuration"))
            return
        if config.state.state_dir != self.config.state.state_dir:
            log.error("state.state_dir cannot change on reload (restart kcrashd); keeping %s", self.config.state.state_dir)
            config = config.model_copy(update={"state": self.config.state})
        if self.watcher is not None:
            self.watcher.stop()
        self.stop_alerts()
        self.stop_metrics()
        self.config = config
        self.triage.timeout = self.triage_timeout(config)
        if rules != self.rules:
            self.rules = rules
            self.triage.use_rules(rules)
        self.pipeline = self.make_pipeline(config)
        self.start_alerts()
        self.start_metrics()
        if self.kernel_journal is not None:
            self.kernel_journal.close()
            self.kernel_journal = None
        self.start_kernel_journal()
        self.watcher = Watcher(config, self.push_path, self.on_overflow)
        queued = self.scan_backlog()
        log.info("configuration reloaded; %d dump(s) rescanned", queued)
        self.notifier.ready(self.status_line("configuration reloaded"))


def triage_workers() -> int:
    """How many logs may be analysed at once: one per usable core, at least two (one log
    that runs into its deadline never holds up the others)."""
    return max(2, usable_cores())


def release_memory() -> None:
    """Hand back to the system the heap a burst of triage grew, so an idle daemon stays small."""
    frames = sys.modules.get("kcrashd.core.frames")  # loaded only if this process analysed a log
    if frames is not None:
        frames.clear_caches()
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def folder_gone(path: str, ino: int) -> bool:
    try:
        return os.lstat(path).st_ino != ino
    except FileNotFoundError:
        return True
    except OSError:
        return False


def wake_daemon(config: Config) -> None:
    """Alerts were queued by this process: a running daemon delivers them now, not at its next wake."""
    from kcrashd.sinks.alerting.doorbell import ring

    with contextlib.suppress(OSError):
        ring(config.state.state_dir)


def scan_once(config: Config, journal: CrashJournal | None = None, rules: OperatorRules | None = None) -> dict[str, int]:
    """`kcrashd scan`: process every dump that is ready now, once, triaged with the operator's
    grouping `rules`; report what waits."""
    try:
        store = make_store(config)
    except StoreError as exc:
        raise SystemExit(f"kcrashd: {exc}") from None
    lock = StateLock(config.state.state_dir)
    triage = TriagePool(config.daemon.triage_timeout, 1, rules=rules)
    analyze = DeadlineAnalyzer(triage, patience=None)
    pipeline = Pipeline(
        config, store, journal or SystemdJournal(), lock, enqueue=load_enqueue(), one_shot=True, analyze=analyze,
        on_enqueued=lambda: wake_daemon(config),
    )  # fmt: skip
    totals: dict[str, int] = {}
    later: list[CrashUnit] = []  # work the pipeline queues behind the entries (reading a whole vmcore)
    try:
        pipeline.recover()
        for unit in scan_all(config.sources):
            outcome = pipeline.handle(unit)
            totals[outcome.action] = totals.get(outcome.action, 0) + 1
            while outcome.action is Action.DEFERRED and outcome.detail == "journal rate limit":
                time.sleep(max(0.0, (outcome.retry_at or 0) - time.time()))
                outcome = pipeline.handle(unit)
                totals[outcome.action] = totals.get(outcome.action, 0) + 1
            if outcome.action is Action.JOURNALED and outcome.retry_at is not None and outcome.retry_at <= time.time():
                later.append(unit)
        for unit in later:
            pipeline.handle(unit)
        scan_journal(config, pipeline, totals)
    finally:
        triage.close()
        store.close()
        lock.close()
    return totals


def scan_journal(config: Config, pipeline: Pipeline, totals: dict[str, int]) -> None:
    """`kcrashd scan` with `[kernel_journal] enabled`: one pass of the kernel journal source after
    the dumps (so a dump of the previous boot is known before its end is judged); the crashes it
    journaled are counted as `from the journal`."""
    if not config.kernel_journal.enabled:
        return
    from kcrashd.daemon.kernel_source import KernelJournalSource
    from kcrashd.store.boot_ledger import journal_crashes

    before = journal_crashes(pipeline.store.conn)
    try:
        source = KernelJournalSource(config, pipeline)
    except OSError as exc:
        log.error("not reading kernel reports from the journal: %s", exc)
        return
    try:
        source.start()
        source.run_once(time.time())
    except OSError as exc:
        log.error("reading kernel reports from the journal failed: %s", exc)
    finally:
        source.close()
    if found := journal_crashes(pipeline.store.conn) - before:
        totals["from the journal"] = found
