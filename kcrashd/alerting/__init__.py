"""Alerting: targets, policy and the delivery outbox.

The daemon codes against these names only:
  ensure_schema(conn)                        create/upgrade the outbox tables (component "outbox")
  enqueue(conn, record, alerts, now=, page=) add a crash's alert intents inside the caller's transaction
  Deliverer(db_path, alerts, clock=, session_factory=).deliver_due(now) / .close()
  delivery_state(conn, crash_id)             per-target delivery state for `kcrashd info`/`list`
"""

from kcrashd.alerting.outbox import Deliverer, delivery_state, enqueue, ensure_schema, requeue
from kcrashd.alerting.payload import FALLBACK_MESSAGE_ID, journal_message_id

__all__ = [
    "FALLBACK_MESSAGE_ID",
    "Deliverer",
    "delivery_state",
    "enqueue",
    "ensure_schema",
    "journal_message_id",
    "requeue",
]
