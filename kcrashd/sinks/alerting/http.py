"""HTTP for every target: one session per target, a total deadline per request, bounded
response reading, TLS and proxies, Retry-After parsing, and error text that never carries a URL
path, query or body secret.

A request ends at `timeout` seconds whatever the receiver does (kcrashd.sinks.alerting.cutoff), and
no more than BODY_LIMIT bytes of an answer are read (DOCUMENT_LIMIT for the success answers of
ticket trackers, whose searches return whole issues): a receiver that drips bytes or sends a 1 GiB error page costs one target's
`timeout` and 64 KiB. Requests go straight to the session's adapter: requests' Session.send reads
the whole body of a redirect even when redirects are not followed.

No retries happen in here (urllib3's Retry is off): the outbox schedules the next attempt,
so a restart does not lose it (docs/alerting.md section 5.3).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from kcrashd.config.alerting import Category, TargetBase
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting.cutoff import Cutoff
from kcrashd.sinks.alerting.secrets import redact, redact_url

if TYPE_CHECKING:
    import requests

# requests (with urllib3, ssl and http.client, about 7 MiB) is imported by the first session:
# a daemon whose outbox never has anything due does not carry it.
SessionFactory = Callable[[], "requests.Session"]
USER_AGENT = "kcrashd-alerting/1"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
BODY_LIMIT = 64 * 1024  # bytes read of an error answer, and of any answer of a notify target
DOCUMENT_LIMIT = 2 * 1024 * 1024  # bytes read of a ticket tracker's success answer (searches, issues)


def ok(
    remote_ref: str | None = None,
    remote_url: str | None = None,
    repeat_at: float | None = None,
    regression_of: str | None = None,
) -> Outcome:
    return Outcome(True, remote_ref=remote_ref, remote_url=remote_url, repeat_at=repeat_at, regression_of=regression_of)


def retry(error: str, status: int | None = None, retry_after: float | None = None) -> Outcome:
    return Outcome(False, retry=True, status=status, error=redact(error), retry_after=retry_after)


def permanent(error: str, status: int | None = None) -> Outcome:
    return Outcome(False, retry=False, status=status, error=redact(error))


class SendFailure(Exception):
    """Raised inside a sender to stop with an outcome; its text is already redacted."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error or "delivery failed")
        self.outcome = outcome


@dataclass(frozen=True)
class Reply:
    """An answer, its body read up to a limit; `truncated` when the receiver sent more."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON or was longer than its limit."""
        if self.truncated:
            raise ValueError(
                f"answer longer than {len(self.content)} bytes: not read (HTTP {self.status_code})"
            )
        return json.loads(self.content)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def make_session(factory: SessionFactory | None = None) -> requests.Session:
    """A session with urllib3 retries off, cuttable connections and a kcrashd User-Agent."""
    import requests

    from kcrashd.sinks.alerting.transport import CutoffAdapter

    session = (factory or requests.Session)()
    adapter = CutoffAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "identity"  # bodies are read in bounded pieces, uncompressed
    return session


def describe_exception(exc: BaseException, url: str, cutoff: Cutoff | None = None) -> str:
    """Exception class and redacted host only: requests' messages contain the full URL."""
    import requests

    kind = type(exc).__name__
    where = redact_url(url)
    if cutoff is not None and cutoff.reason == "deadline":
        return f"timeout talking to {where} (no complete answer within {cutoff.seconds:g} s)"
    if cutoff is not None and cutoff.fired:
        return f"request to {where} interrupted: kcrashd is stopping"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error talking to {where} ({kind}); check ca_bundle"
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"proxy error talking to {where} ({kind})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timeout talking to {where} ({kind})"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect to {where} ({kind}: refused, DNS failure or network down)"
    return f"request to {where} failed ({kind})"


def accepted(status: int, ok_status: Collection[int]) -> bool:
    return 200 <= status < 300 or status in ok_status


class Http:
    """Requests of one target with its deadline, TLS and proxy settings, classified."""

    def __init__(self, target: TargetBase, session: requests.Session, clock: Callable[[], datetime]) -> None:
        self.target = target
        self.session = session
        self.clock = clock
        self.lock = threading.Lock()
        self.running: set[Cutoff] = set()
        self.stopping = False
        ticket = target.category is Category.TICKET
        self.document_limit = DOCUMENT_LIMIT if ticket else BODY_LIMIT

    @property
    def verify(self) -> bool | str:
        # Passed per request: a session-level verify is overridden by REQUESTS_CA_BUNDLE
        # (psf/requests#3829), a per-request one is not.
        return self.target.ca_bundle if self.target.ca_bundle else self.target.verify

    def abort(self) -> None:
        """Interrupt the running request (if any) and every later one: the daemon is stopping."""
        with self.lock:
            self.stopping = True
            running = list(self.running)
        for cutoff in running:
            cutoff.fire("stopping")

    @contextmanager
    def guarded(self, what: str) -> Iterator[Cutoff]:
        """The total deadline of one exchange with the target, interrupted by `abort`."""
        cutoff = Cutoff(self.target.timeout)
        with self.lock:
            if self.stopping:
                raise SendFailure(retry(f"{what} not made: kcrashd is stopping"))
            self.running.add(cutoff)
        try:
            with cutoff:
                yield cutoff
        finally:
            with self.lock:
                self.running.discard(cutoff)

    def call(
        self,
        method: str,
        url: str,
        *,
        ok_status: Collection[int] = (),
        **kwargs: Any,
    ) -> Reply:
        """One request within `target.timeout` seconds in all; returns a 2xx reply (or one in
        ok_status) with a bounded body, else raises SendFailure."""
        with self.guarded(f"request to {redact_url(url)}") as cutoff:
            reply = self._exchange(method, url, ok_status, cutoff, kwargs)
        if accepted(reply.status_code, ok_status):
            return reply
        raise SendFailure(self.classify(reply, url))

    def _exchange(
        self, method: str, url: str, ok_status: Collection[int], cutoff: Cutoff, kwargs: dict[str, Any]
    ) -> Reply:
        import requests
        from urllib3.exceptions import HTTPError

        from kcrashd.sinks.alerting.transport import read_capped

        proxies = {"http": self.target.proxy, "https": self.target.proxy} if self.target.proxy else {}
        try:
            prepared = self.session.prepare_request(requests.Request(method, url, **kwargs))
            settings = self.session.merge_environment_settings(prepared.url, proxies, True, self.verify, None)
            verify = self.verify if settings["verify"] is None else settings["verify"]
            adapter = self.session.get_adapter(prepared.url or url)
            response = adapter.send(
                prepared, stream=True, timeout=(self.target.connect_timeout, self.target.timeout),
                verify=verify, cert=None, proxies=settings["proxies"],
            )  # fmt: skip
            limit = self.document_limit if accepted(response.status_code, ok_status) else BODY_LIMIT
            try:
                body, truncated = read_capped(response.raw, limit)
            finally:
                response.close()  # a body not read to its end closes the connection, unread
        except (requests.RequestException, HTTPError, OSError) as exc:
            raise SendFailure(retry(describe_exception(exc, url, cutoff))) from None
        return Reply(response.status_code, response.headers, body, truncated)

    def classify(self, response: Reply, url: str) -> Outcome:
        """An error response as retry-later or permanent (docs/alerting.md section 5.5)."""
        status = response.status_code
        text = response.content[:300].decode("utf-8", errors="replace")
        body = redact(text.replace("\n", " ")) if text else ""
        error = f"HTTP {status} from {redact_url(url)}" + (f": {body}" if body else "")
        after = parse_retry_after(response.headers.get("Retry-After"), self.clock())
        if status in RETRY_STATUS or status >= 500:
            return retry(error, status, after)
        if status == 403 and (after is not None or response.headers.get("x-ratelimit-remaining") == "0"):
            reset = response.headers.get("x-ratelimit-reset")
            if after is None and reset and reset.isdigit():
                after = max(1.0, float(reset) - self.clock().timestamp())
            return retry(error + " (rate limited)", status, after if after is not None else 60.0)
        if 300 <= status < 400:
            return permanent(error + " (redirects are not followed; fix the URL)", status)
        return permanent(error, status)
