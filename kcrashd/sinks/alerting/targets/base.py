"""The alert targets' senders: one class per target type, registered by its `type` name. A
sender is a `kcrashd.sinks.Destination` of `Delivery`s (the outbox's rows), as the journal is one
of crash records."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from kcrashd.config.alerting import TargetBase
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting.http import Http
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind
from kcrashd.sinks.alerting.secrets import resolve


class RemoteMap(Protocol):
    """fingerprint -> remote object (ticket, mail thread) of one target, kept in the state DB."""

    def get(self, fingerprint: str) -> tuple[str, str | None] | None: ...

    def put(self, fingerprint: str, ref: str, url: str | None) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """One outbox row as a sender sees it."""

    row_id: int
    event: EventKind
    payload: AlertPayload
    idem_key: str
    fingerprint: str
    attempt: int
    remote: RemoteMap
    created_at: float


class Sender(ABC):
    """Sends deliveries to one configured target: a `Destination[Delivery]`."""

    type_name: ClassVar[str]
    registry: ClassVar[dict[str, type[Sender]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" in cls.__dict__:
            Sender.registry[cls.type_name] = cls

    config: TargetBase  # each sender narrows it to its target's model (`config: WebhookTarget`)

    def __init__(self, config: TargetBase, http: Http, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.http = http
        self.clock = clock

    @property
    def name(self) -> str:
        return self.config.name

    def secret(self, ref: str) -> str:
        return resolve(ref)

    @abstractmethod
    def send(self, delivery: Delivery, /) -> Outcome:
        """Perform one attempt; raise SendFailure or return an Outcome."""


def sender_for(config: TargetBase, http: Http, clock: Callable[[], datetime]) -> Sender:
    """The sender of a target config (imports that target's module on first use)."""
    from kcrashd.sinks.alerting.targets import MODULES

    kind = getattr(config, "type", "")
    if kind in MODULES:
        importlib.import_module(f"kcrashd.sinks.alerting.targets.{kind}")
    cls = Sender.registry.get(kind)
    if cls is None:
        raise KeyError(f"no sender for target type {kind!r}")
    return cls(config, http, clock)
