"""One journal entry per crash, shaped like systemd-coredump's (docs/journal-fields.md).

Fields are only ever appended, never renamed. `MESSAGE_ID` is fixed and has a catalog entry
(systemd/kcrashd.catalog), so `journalctl -x` explains the entry and what to do next.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from kcrashd.core.model import Severity
from kcrashd.model.bugkey import journal_key
from kcrashd.model.crash import CrashRecord
from kcrashd.model.terminal import escape_text
from kcrashd.sinks import SENT, JournalMark, Outcome

log = logging.getLogger(__name__)

MESSAGE_ID = "8ba1b929042d454e9288788366b0e336"
# a later vmcore state of a crash already journaled (docs/journal-fields.md, "Vmcore updates")
VMCORE_UPDATE_MESSAGE_ID = "892422569f334578be17e96caa00c93b"
# the operator merged or split fingerprints (docs/journal-fields.md, "Grouping changes")
GROUPING_MESSAGE_ID = "90d22c7925864371af225f7f7da7b93c"
# `kcrashd retriage` applied: crashes moved between fingerprints, keys linked (docs/grouping.md)
RETRIAGE_MESSAGE_ID = "af2a0f814bd5478f82bfa430dbc7dd12"
# a kernel report read from the journal (a dump is not needed), and a boot that ended with neither a
# clean shutdown nor a dump (docs/reboots.md)
KERNEL_REPORT_MESSAGE_ID = "0a09995eece647e48d703b45066638ac"
UNEXPLAINED_REBOOT_MESSAGE_ID = "a79b2c12fa904b73a2ce83e1f2e3ed69"
UNEXPLAINED_REBOOT = "unexplained-reboot"
UPDATE_FIELDS = ("SYSLOG_IDENTIFIER", "KCRASHD_CRASH_ID", "KCRASHD_FINGERPRINT", "KCRASHD_TITLE", "KCRASHD_HOST",
                 "KCRASHD_DUMP_DIR", "KCRASHD_PROBLEMS")  # fmt: skip
BAD_VMCORE = ("failed", "incomplete-flag", "truncated")
SYSLOG_IDENTIFIER = "kcrashd"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
REPORT_JSON_LIMIT = 4000  # `journalctl -o json` shows values under 4096 bytes without --all
FIELD_LIMIT = 2048

PRIORITY = {Severity.CRITICAL: 2, Severity.ERROR: 3, Severity.WARNING: 4, Severity.INFO: 5}
PRIORITY_UNKNOWN = 3  # a dump exists, so the machine went down, even if the log says nothing
PRIORITY_TEST = 5
NO_TITLE = "unknown: no crash found in the kernel log"

JournalSend = Callable[..., Any]  # systemd.journal.send, or a test's stand-in


class Alarm(Protocol):
    """Writes an entry that is not a crash (an alert not delivered)."""

    def __call__(self, message: str, priority: int = 2, **fields: str) -> None: ...


def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def yes_no(flag: bool) -> str:
    return "1" if flag else "0"


def report_json(record: CrashRecord) -> str:
    """The report as compact JSON, shortened (excerpt, modules, frames) until it fits 4 KiB."""
    data = record.report.model_dump(mode="json")
    for key in ("excerpt", "modules", "preceding", "alt_titles", "fingerprint_aliases"):
        text = json.dumps(data, separators=(",", ":"))
        if len(text.encode()) <= REPORT_JSON_LIMIT:
            return text
        data[key] = []
    while data.get("frames") and len(json.dumps(data, separators=(",", ":")).encode()) > REPORT_JSON_LIMIT:
        data["frames"] = data["frames"][: len(data["frames"]) // 2]
    text = json.dumps(data, separators=(",", ":"))
    if len(text.encode()) > REPORT_JSON_LIMIT:
        keep = {k: data.get(k) for k in ("title", "kind", "severity", "fingerprint", "function", "kernel_release")}
        text = json.dumps(keep, separators=(",", ":"))
    return text


def score_text(score: float | None) -> str | None:
    """A similarity score as journaled: three decimals."""
    return None if score is None else f"{score:.3f}"


def priority_of(record: CrashRecord) -> int:
    if record.test:
        return PRIORITY_TEST
    if not record.report.has_crash:
        return PRIORITY_UNKNOWN
    return PRIORITY.get(record.report.severity, PRIORITY_UNKNOWN)


def message_id_of(record: CrashRecord) -> str:
    """The entry's MESSAGE_ID: a dump's crash, a kernel report from the journal, an unexplained reboot."""
    if record.report.kind == UNEXPLAINED_REBOOT:
        return UNEXPLAINED_REBOOT_MESSAGE_ID
    return KERNEL_REPORT_MESSAGE_ID if record.boot_id is not None else MESSAGE_ID


def message_of(record: CrashRecord) -> str:
    """The one human line: what, where, new or recurring, and the dump."""
    report = record.report
    if record.boot_id is not None:
        return journal_message_of(record)
    title = report.title or ("no crash found in the log" if report.error is None else f"triage failed: {report.error}")
    what = "kdump test crash" if record.test else "Kernel crash"
    if not report.fingerprint:
        seen = "unclassified"
    elif record.new_fingerprint:
        seen = "new"
        if record.similar_fingerprint:
            seen += f", possibly the same bug as {record.similar_fingerprint} ({score_text(record.similar_score)})"
    else:
        seen = f"seen {record.count} times since {stamp(record.first_seen)}"
    extra = ", incomplete dump" if record.incomplete else ""
    return clip(escape_text(f"{what} on {record.host}: {title} ({seen}{extra}) in {record.dump_dir}"), 1024)


def journal_message_of(record: CrashRecord) -> str:
    """The human line of an entry read from the journal: a kernel report, or an unexplained reboot."""
    report = record.report
    if report.kind == UNEXPLAINED_REBOOT:
        text = f"Unexplained reboot of {record.host}: boot {record.boot_id} ended {stamp(record.crash_time)} without a clean shutdown and left no dump"
    else:
        fate = "the kernel went on running" if record.survived else "the machine went down"
        text = f"Kernel report on {record.host}: {report.title} ({fate}; boot {record.boot_id})"
    return clip(escape_text(text), 1024)


def boot_fields(record: CrashRecord) -> dict[str, str | None]:
    """The fields of an entry read from the journal (docs/journal-fields.md, "Kernel journal")."""
    boot = record.boot
    return {
        "KCRASHD_BOOT_ID": record.boot_id,
        "KCRASHD_SURVIVED": None if record.survived is None else yes_no(record.survived),
        "KCRASHD_LINKED_CRASH_ID": record.linked_crash_id,
        "KCRASHD_UPTIME": f"{boot.uptime_seconds:.0f}" if boot and boot.uptime_seconds is not None else None,
        "KCRASHD_HINTS": clip(escape_text("; ".join(boot.hints))) if boot and boot.hints else None,
        "KCRASHD_LAST_LINES": clip(escape_text("\n".join(boot.last_lines)), 4000) if boot and boot.last_lines else None,
    }


def journal_fields(record: CrashRecord) -> dict[str, str]:
    """Every field of the entry, as text; fields without a value are left out."""
    report = record.report
    vm = record.vmcore
    fields: dict[str, str | None] = {
        "MESSAGE": message_of(record),
        "MESSAGE_ID": message_id_of(record),
        "PRIORITY": str(priority_of(record)),
        "SYSLOG_IDENTIFIER": SYSLOG_IDENTIFIER,
        "KCRASHD_CRASH_ID": record.crash_id,
        "KCRASHD_FINGERPRINT": journal_key(report),
        "KCRASHD_FINGERPRINT_VERSION": str(report.fingerprint_version),
        "KCRASHD_FINGERPRINT_ALIASES": " ".join(report.fingerprint_aliases) or None,
        "KCRASHD_TITLE": clip(escape_text(report.title)) if report.title else NO_TITLE,
        "KCRASHD_KIND": report.kind,
        "KCRASHD_SEVERITY": str(report.severity),
        "KCRASHD_FUNCTION": clip(escape_text(report.function)) if report.function else None,
        "KCRASHD_KERNEL": escape_text(report.kernel_release or (vm.kernel_release if vm else None) or "unknown"),
        "KCRASHD_ARCH": report.arch or (vm.machine if vm else None),
        "KCRASHD_HOST": escape_text(record.host),
        "KCRASHD_TAINT": report.taint.letters or None,
        "KCRASHD_CRASH_TIME": stamp(record.crash_time),
        "KCRASHD_DETECTED_AT": stamp(record.detected_at),
        "KCRASHD_DUMP_DIR": record.dump_dir,
        "KCRASHD_LOG_PATH": record.log_path,
        "KCRASHD_LOG_ORIGIN": record.log_origin,
        "KCRASHD_SOURCE": record.source,
        "KCRASHD_LAYOUT": record.layout,
        "KCRASHD_VMCORE_STATE": record.vmcore_state,
        "KCRASHD_VMCORE_PATH": vm.path if vm else None,
        "KCRASHD_VMCORE_FORMAT": vm.format if vm else None,
        "KCRASHD_VMCORE_SIZE": str(vm.size) if vm else None,
        "KCRASHD_VMCORE_COMPLETE": yes_no(vm.complete) if vm else None,
        "KCRASHD_VMCORE_FLAGS": ",".join(vm.flags) if vm and vm.flags else None,
        "KCRASHD_VMCORE_KERNEL": escape_text(vm.kernel_release) if vm and vm.kernel_release else None,
        "KCRASHD_VMCORE_HOST": escape_text(vm.hostname) if vm and vm.hostname else None,
        "KCRASHD_INCOMPLETE": yes_no(record.incomplete),
        "KCRASHD_TEST": yes_no(record.test),
        "KCRASHD_FIRST_SEEN": stamp(record.first_seen),
        "KCRASHD_COUNT": str(record.count),
        "KCRASHD_HOSTS": str(record.hosts),
        "KCRASHD_NEW": yes_no(record.new_fingerprint),
        "KCRASHD_TOO_OLD_TO_PAGE": yes_no(record.too_old_to_page),
        "KCRASHD_PROBLEMS": clip(escape_text("; ".join(record.problems))) if record.problems else None,
        "KCRASHD_ERROR": clip(escape_text(report.error)) if report.error else None,
        "KCRASHD_REPORT_JSON": report_json(record),
        "KCRASHD_STRICT_FINGERPRINT": report.strict_fingerprint or None,
        "KCRASHD_SIMILAR_FINGERPRINT": record.similar_fingerprint,
        "KCRASHD_SIMILAR_SCORE": score_text(record.similar_score),
        **boot_fields(record),
    }
    return {key: value for key, value in fields.items() if value is not None}


def vmcore_update_fields(record: CrashRecord) -> dict[str, str]:
    """The entry saying a journaled crash's vmcore finished, failed or was found cut short: the
    crash's id and names, and its `KCRASHD_VMCORE_*` fields as they are now."""
    fields = journal_fields(record)
    kept = {k: v for k, v in fields.items() if k in UPDATE_FIELDS or k.startswith("KCRASHD_VMCORE_")}
    line = f"Kernel crash on {record.host}: vmcore now {record.vmcore_state} in {record.dump_dir}"
    return {
        "MESSAGE": clip(escape_text(f"{line} (crash {record.crash_id})"), 1024),
        "MESSAGE_ID": VMCORE_UPDATE_MESSAGE_ID,
        "PRIORITY": "4" if record.vmcore_state in BAD_VMCORE else "6",
        **kept,
    }


def grouping_fields(action: str, fingerprint: str, aliases: list[str]) -> dict[str, str]:
    """The entry of `kcrashd group merge` (`aliases` grouped as `fingerprint`) or `group split`
    (`aliases` their own again)."""
    what = "merged into" if action == "merge" else "split from"
    return {
        "MESSAGE": f"kcrashd: fingerprint{'s' if len(aliases) > 1 else ''} {' '.join(aliases)} {what} {fingerprint} by the operator",
        "MESSAGE_ID": GROUPING_MESSAGE_ID,
        "PRIORITY": "5",
        "SYSLOG_IDENTIFIER": SYSLOG_IDENTIFIER,
        "KCRASHD_GROUP_ACTION": action,
        "KCRASHD_FINGERPRINT": fingerprint,
        "KCRASHD_FINGERPRINT_ALIASES": " ".join(aliases),
    }


def retriage_fields(
    moved: int, links: list[tuple[str, str]], crash_ids: list[str], split: dict[str, list[str]] | None = None
) -> dict[str, str]:
    """The entry of an applied `kcrashd retriage`: `moved` crashes re-triaged under new keys,
    `links` the (alias, group) pairs made so their history follows, `split` the groups the rules
    split with the keys split off them (not linked: each starts its own history)."""
    linked = " ".join(f"{alias}>{group}" for alias, group in links)
    parted = " ".join(f"{old}<{','.join(new)}" for old, new in (split or {}).items())
    return {
        "MESSAGE": clip(f"kcrashd: retriage moved {moved} crash{'es' if moved != 1 else ''} between fingerprints"
                        + (f"; linked {linked}" if linked else "") + (f"; split off {parted}" if parted else ""), 1024),
        "MESSAGE_ID": RETRIAGE_MESSAGE_ID,
        "PRIORITY": "5",
        "SYSLOG_IDENTIFIER": SYSLOG_IDENTIFIER,
        "KCRASHD_RETRIAGE_MOVED": str(moved),
        "KCRASHD_RETRIAGE_LINKS": clip(linked),
        "KCRASHD_RETRIAGE_SPLIT": clip(parted),
        "KCRASHD_CRASH_IDS": clip(" ".join(crash_ids)),
    }  # fmt: skip


class SystemdJournal:
    """The real journal through systemd-python; `sender` is the seam for tests."""

    name = "journal"

    def __init__(self, sender: JournalSend | None = None) -> None:
        # systemd-python drops entries silently when journald is not there: check for its socket,
        # so the crash stays `pending` and is sent when journald is back instead of being lost
        self.check_socket = sender is None
        if sender is None:
            sender = importlib.import_module("systemd.journal").send
        self.sender = sender

    def send(self, record: CrashRecord, /) -> Outcome:
        """The crash's one entry; raises OSError when journald is not there to take it."""
        self._send(journal_fields(record))
        return SENT

    def send_update(self, record: CrashRecord) -> None:
        self._send(vmcore_update_fields(record))

    def send_grouping(self, action: str, fingerprint: str, aliases: list[str]) -> None:
        self._send(grouping_fields(action, fingerprint, aliases))

    def send_retriage(
        self, moved: int, links: list[tuple[str, str]], crash_ids: list[str], split: dict[str, list[str]] | None = None
    ) -> None:
        self._send(retriage_fields(moved, links, crash_ids, split))

    def _send(self, fields: dict[str, str]) -> None:
        if self.check_socket and not os.path.exists(JOURNAL_SOCKET):
            raise OSError(errno.ENOENT, f"journald is not running (no {JOURNAL_SOCKET})")
        message = fields.pop("MESSAGE")
        self.sender(message, **fields)

    def sync(self, timeout: float = 5.0) -> bool:
        """Send a marker and wait until it can be read back: journald handles its socket in order,
        so every entry sent before it has then been written too."""
        if self.check_socket and not os.path.exists(JOURNAL_SOCKET):
            return False
        marker = uuid.uuid4().hex
        self.sender(
            "kcrashd: checking which crash entries reached the journal",
            PRIORITY="7",
            SYSLOG_IDENTIFIER=SYSLOG_IDENTIFIER,
            KCRASHD_SYNC=marker,
        )
        with journal_reader("crashes recorded as pending will be sent again") as reader:
            if reader is None:
                return False
            reader.add_match(KCRASHD_SYNC=marker)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                reader.seek_head()
                if reader.get_next():
                    return True
                reader.wait(0.05)
            log.warning("the journal did not show a test entry within %.0f s", timeout)
            return False

    def sent(self, crash_ids: list[str]) -> set[str]:
        if not crash_ids:
            return set()
        found: set[str] = set()
        with journal_reader("assuming no entry was sent") as reader:
            if reader is None:
                return found
            for crash_id in crash_ids:
                reader.flush_matches()
                for message_id in (MESSAGE_ID, KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID):
                    reader.add_match(MESSAGE_ID=message_id)
                reader.add_match(KCRASHD_CRASH_ID=crash_id)
                reader.seek_head()
                if reader.get_next():
                    found.add(crash_id)
        return found

    def latest(self) -> JournalMark | None:
        """The newest crash entry (its id and folder), read from the end of the journal."""
        with journal_reader("not checking the state database against it") as reader:
            if reader is None:
                return None
            reader.add_match(MESSAGE_ID=MESSAGE_ID)
            reader.seek_tail()
            entry = reader.get_previous()
        crash_id, dump_dir = entry.get("KCRASHD_CRASH_ID"), entry.get("KCRASHD_DUMP_DIR")
        if not isinstance(crash_id, str) or not isinstance(dump_dir, str):
            return None
        return JournalMark(crash_id, dump_dir)


def open_reader() -> Any:
    reader = importlib.import_module("systemd.journal").Reader()
    reader.data_threshold = 0
    return reader


@contextmanager
def journal_reader(consequence: str) -> Iterator[Any]:
    """A journal reader, closed after use; None, with a warning that says the consequence, when
    the journal cannot be read."""
    try:
        reader = open_reader()
    except OSError as exc:
        log.warning("cannot read the journal (%s): %s", exc, consequence)
        yield None
        return
    try:
        yield reader
    finally:
        reader.close()


def send_alarm(message: str, priority: int = 2, **fields: str) -> None:
    """A loud entry that is not a crash (PRIORITY=2, critical, by default) when systemd's binding
    exists; always logged. Field names are upper-cased (`KCRASHD_TARGET`, ...)."""
    log.critical("%s", message)
    try:
        journal = importlib.import_module("systemd.journal")
    except ImportError:
        return
    upper = {key.upper(): value for key, value in fields.items()}
    with contextlib.suppress(OSError):
        journal.send(message, PRIORITY=str(priority), SYSLOG_IDENTIFIER=SYSLOG_IDENTIFIER, **upper)
