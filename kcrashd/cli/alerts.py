"""Alerting verbs: `notify-test TARGET` sends a clearly marked test alert now; `resend ID`
re-queues the deliveries of a crash and rings the running daemon's doorbell so it sends them now.

Exit codes: 0 done, 1 delivery or configuration failure, 3 unknown target or crash id.
Nothing printed contains a secret or a webhook URL (they are redacted).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kcrashd.cli import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK
from kcrashd.cli.crash_names import CrashNameError, resolve_crash
from kcrashd.config.settings import DEFAULT_CONFIG, ConfigError, load_config
from kcrashd.sinks.alerting.doorbell import ring
from kcrashd.sinks.alerting.http import Http, SendFailure, make_session
from kcrashd.sinks.alerting.outbox import delivery_state, requeue
from kcrashd.sinks.alerting.payload import EventKind, build_test_payload
from kcrashd.sinks.alerting.secrets import SecretError, install_log_redaction, redact
from kcrashd.sinks.alerting.targets.base import Delivery, sender_for
from kcrashd.store.database import DB_NAME, opened
from kcrashd.store.history_reads import or_default

if TYPE_CHECKING:
    import sqlite3


class _MemoryRemote:
    """notify-test keeps no ticket/thread mapping."""

    def __init__(self) -> None:
        self.map: dict[str, tuple[str, str | None]] = {}

    def get(self, fingerprint: str) -> tuple[str, str | None] | None:
        return self.map.get(fingerprint)

    def put(self, fingerprint: str, ref: str, url: str | None) -> None:
        self.map[fingerprint] = (ref, url)


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add this module's verbs to the command line."""
    test = verbs.add_parser(
        "notify-test",
        help="send a clearly marked test alert to one target now",
        description="Send a test alert (titled 'kcrashd test alert: not a real crash') to TARGET "
        "with one attempt, bypassing the outbox and the policy. Ticket targets file or update a "
        "ticket with the test fingerprint kcrash-test-0000000000.",
    )
    test.add_argument("target", metavar="TARGET", help="name of an [[alerts.targets]] entry")
    _common(test)
    test.set_defaults(func=notify_test)
    resend = verbs.add_parser(
        "resend",
        help="re-queue the alert deliveries of a crash",
        description="Mark the outbox rows of crash ID pending again (attempts and age reset) and "
        "wake the running daemon, which sends them at once; with no daemon running they are sent "
        "when it starts.",
    )
    resend.add_argument("crash_id", metavar="ID", help="crash id (or a unique prefix) as shown by `kcrashd list`")
    resend.add_argument("--target", metavar="NAME", help="only this target")
    resend.add_argument("--state-dir", type=Path, default=None, metavar="DIR", help="state directory")
    resend.add_argument("--state-db", type=Path, metavar="FILE", help=argparse.SUPPRESS)  # deprecated: --state-dir
    _common(resend)
    resend.set_defaults(func=resend_crash)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, metavar="FILE", help=f"configuration (default {DEFAULT_CONFIG})"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _emit(args: argparse.Namespace, result: dict[str, Any], text: str) -> None:
    if args.json:
        print(redact(json.dumps(result, sort_keys=True)))
    else:
        print(redact(text))


def notify_test(args: argparse.Namespace) -> int:
    install_log_redaction()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kcrashd: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    target = config.alerts.target(args.target)
    if target is None:
        names = ", ".join(t.name for t in config.alerts.targets) or "none configured"
        print(f"kcrashd: no alert target named {args.target!r} (targets: {names})", file=sys.stderr)
        return EXIT_NOT_FOUND
    now = datetime.now(UTC)
    payload = build_test_payload(now).restricted(
        include_trace=target.include_trace, include_host=target.include_host
    )
    session = make_session()

    def clock() -> datetime:
        return datetime.now(UTC)

    try:
        sender = sender_for(target, Http(target, session, clock), clock)
        delivery = Delivery(
            row_id=0, event=EventKind.TEST, payload=payload, idem_key=f"test{int(now.timestamp())}",
            fingerprint=payload.fingerprint, attempt=1, remote=_MemoryRemote(), created_at=now.timestamp(),
        )  # fmt: skip
        outcome = sender.send(delivery)
    except SendFailure as failure:
        outcome = failure.outcome
    except SecretError as exc:
        print(f"kcrashd: {args.target}: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        session.close()
    result = {
        "target": target.name,
        "type": target.type,
        "delivered": outcome.delivered,
        "retryable": outcome.retry,
        "status": outcome.status,
        "error": outcome.error,
        "remote_id": outcome.remote_ref,
        "remote_url": outcome.remote_url,
    }
    if outcome.delivered:
        ref = (
            f" ({outcome.remote_url or outcome.remote_ref})"
            if (outcome.remote_url or outcome.remote_ref)
            else ""
        )
        _emit(args, result, f"{target.name}: test alert delivered{ref}")
        return EXIT_OK
    kind = "temporary" if outcome.retry else "permanent"
    _emit(args, result, f"{target.name}: test alert NOT delivered ({kind}): {outcome.error}")
    return EXIT_FAILURE


def resend_crash(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kcrashd: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    path = state_database(args, config.state.state_dir)
    if not path.exists():
        print(f"kcrashd: {path}: no state database", file=sys.stderr)
        return EXIT_FAILURE
    with opened(path) as conn:
        args.crash_id = full_crash_id(conn, args.crash_id)
        count = requeue(conn, args.crash_id, now=datetime.now(UTC), target=args.target)
        state = delivery_state(conn, args.crash_id)
    if count == 0:
        print(f"kcrashd: no alert deliveries for crash {args.crash_id!r}", file=sys.stderr)
        return EXIT_NOT_FOUND
    try:
        woken = ring(path.parent)
    except OSError as exc:
        print(
            f"kcrashd: cannot wake the daemon ({exc.strerror}): it sends them at its next pass",
            file=sys.stderr,
        )
        woken = False
    when = (
        "the running daemon sends them now" if woken else "no daemon is running: they are sent when it starts"
    )
    plural = "y" if count == 1 else "ies"
    _emit(args, {"crash_id": args.crash_id, "requeued": count, "daemon_woken": woken, "deliveries": state},
          f"{count} deliver{plural} of {args.crash_id} re-queued; {when}")  # fmt: skip
    return EXIT_OK


def state_database(args: argparse.Namespace, configured: Path) -> Path:
    """--state-dir like every other verb; the older --state-db FILE still works, with a warning."""
    if args.state_db is not None:
        print("kcrashd: --state-db is deprecated: use --state-dir DIR", file=sys.stderr)
        return Path(args.state_db)
    return (args.state_dir or configured) / DB_NAME


def full_crash_id(conn: sqlite3.Connection, text: str) -> str:
    """The crash id `text` names (kcrashd.cli.crash_names: id, unique prefix, dump folder or its
    name); else `text`, so the outbox lookup reports it as unknown."""
    try:
        return or_default(lambda: resolve_crash(conn, text), text)
    except CrashNameError:
        return text
