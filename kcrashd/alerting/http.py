"""HTTP for every target: one session per target, explicit timeouts, TLS and proxies,
Retry-After parsing, and error text that never carries a URL path, query or body secret.

No retries happen in here (urllib3's Retry is off): the outbox schedules the next attempt,
so a restart does not lose it (docs/alerting.md section 5.3).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from kcrashd.alerting.config import TargetBase
from kcrashd.alerting.secrets import redact, redact_url

if TYPE_CHECKING:
    import requests

# requests (with urllib3, ssl and http.client, about 7 MiB) is imported by the first session:
# a daemon whose outbox never has anything due does not carry it.
SessionFactory = Callable[[], "requests.Session"]
USER_AGENT = "kcrashd-alerting/1"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt."""

    delivered: bool
    retry: bool = False
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from the target
    remote_ref: str | None = None
    remote_url: str | None = None
    repeat_at: float | None = None  # epoch seconds: send again then (Alertmanager re-post)


def ok(
    remote_ref: str | None = None, remote_url: str | None = None, repeat_at: float | None = None
) -> Outcome:
    return Outcome(True, remote_ref=remote_ref, remote_url=remote_url, repeat_at=repeat_at)


def retry(error: str, status: int | None = None, retry_after: float | None = None) -> Outcome:
    return Outcome(False, retry=True, status=status, error=redact(error), retry_after=retry_after)


def permanent(error: str, status: int | None = None) -> Outcome:
    return Outcome(False, retry=False, status=status, error=redact(error))


class SendFailure(Exception):
    """Raised inside a sender to stop with an outcome; its text is already redacted."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error or "delivery failed")
        self.outcome = outcome


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
    """A session with urllib3 retries off and a kcrashd User-Agent."""
    import requests
    from requests.adapters import HTTPAdapter

    session = (factory or requests.Session)()
    adapter = HTTPAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def describe_exception(exc: BaseException, url: str) -> str:
    """Exception class and redacted host only: requests' messages contain the full URL."""
    import requests

    kind = type(exc).__name__
    where = redact_url(url)
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error talking to {where} ({kind}); check ca_bundle"
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"proxy error talking to {where} ({kind})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timeout talking to {where} ({kind})"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect to {where} ({kind}: refused, DNS failure or network down)"
    return f"request to {where} failed ({kind})"


class Http:
    """Requests of one target with its timeouts, TLS and proxy settings, classified."""

    def __init__(self, target: TargetBase, session: requests.Session, clock: Callable[[], datetime]) -> None:
        self.target = target
        self.session = session
        self.clock = clock

    @property
    def verify(self) -> bool | str:
        # Passed per request: a session-level verify is overridden by REQUESTS_CA_BUNDLE
        # (psf/requests#3829), a per-request one is not.
        return self.target.ca_bundle if self.target.ca_bundle else self.target.verify

    def call(
        self,
        method: str,
        url: str,
        *,
        ok_status: Collection[int] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """One request; returns a 2xx response (or one in ok_status), else raises SendFailure."""
        import requests

        proxies = {"http": self.target.proxy, "https": self.target.proxy} if self.target.proxy else None
        try:
            response = self.session.request(
                method,
                url,
                timeout=(self.target.connect_timeout, self.target.timeout),
                verify=self.verify,
                proxies=proxies,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise SendFailure(retry(describe_exception(exc, url))) from None
        if 200 <= response.status_code < 300 or response.status_code in ok_status:
            return response
        raise SendFailure(self.classify(response, url))

    def classify(self, response: requests.Response, url: str) -> Outcome:
        """An error response as retry-later or permanent (docs/alerting.md section 5.5)."""
        status = response.status_code
        body = redact(response.text[:300].replace("\n", " ")) if response.text else ""
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
