"""Alerting: targets, policy and the delivery outbox.

The daemon codes against these names only:
  ensure_schema(conn)                        create/upgrade the state database's tables (kcrashd.store.database)
  enqueue(conn, record, alerts, now=, page=) add a crash's alert intents inside the caller's transaction
  Deliverer(db_path, alerts, clock=, session_factory=).deliver_due(now, target=) / .due_by_target(now)
            / .abort() / .close()                   run by lanes.AlertLanes, one thread per target with work
  doorbell.Doorbell(state_dir) / doorbell.ring(state_dir)   wake the running daemon from another process
  delivery_state(conn, crash_id)             per-target delivery state for `kcrashd info`/`list`
"""

from typing import TYPE_CHECKING, Any

from kcrashd.sinks.alerting.outbox import delivery_state, enqueue, requeue
from kcrashd.store.database import ensure_schema

if TYPE_CHECKING:
    from kcrashd.sinks.alerting.delivery import Deliverer


def __getattr__(name: str) -> Any:
    """`Deliverer` is imported on first use: a daemon with no targets never loads the HTTP stack."""
    if name == "Deliverer":
        from kcrashd.sinks.alerting.delivery import Deliverer

        return Deliverer
    raise AttributeError(name)


__all__ = [
    "Deliverer",
    "delivery_state",
    "enqueue",
    "ensure_schema",
    "requeue",
]
