"""Settings of alert targets and of the paging policy: the `[alerts]` table.

Targets are a list of tables (`[[alerts.targets]]`) told apart by `type`. Secrets are never
values in this file: fields ending in `_ref` (and webhook URLs that are credentials) hold a
*reference* such as `credential:pd-routing-key`, `file:/etc/kcrashd/slack.url` or
`env:KCRASHD_JIRA_TOKEN`, resolved at send time (see kcrashd.sinks.alerting.secrets).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    SkipValidation,
    TypeAdapter,
    field_validator,
    model_validator,
)

from kcrashd.core.model import Severity

URL_SCHEMES = frozenset({"http", "https"})
PROXY_SCHEMES = URL_SCHEMES | {"socks4", "socks4a", "socks5", "socks5h"}
SECRET_REF = re.compile(r"^(credential:[A-Za-z0-9_.@-]+|file:/.+|env:[A-Za-z_][A-Za-z0-9_]*)$")
SEVERITY_ORDER = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


def check_ref(value: str | None) -> str | None:
    """A secret reference, never a secret: refuse anything that is not credential:/file:/env:."""
    if value is not None and not SECRET_REF.match(value):
        raise ValueError(
            "must be a secret reference: credential:NAME, file:/PATH or env:VAR (never the secret)"
        )
    return value


def check_url(value: str, schemes: frozenset[str] = URL_SCHEMES) -> str:
    """An absolute URL with one of `schemes` and a host: `not a url`, `ftp://` or `htp:/` would
    otherwise only fail at send time, retried for days."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number in range)
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {shown(value)!r} ({exc})") from None
    if parts.scheme.lower() not in schemes or not parts.hostname or any(c.isspace() for c in value):
        wanted = " or ".join(f"{scheme}://" for scheme in sorted(schemes))
        raise ValueError(f"not an {wanted} URL with a host: {shown(value)!r}")
    return value


def shown(value: str) -> str:
    """A refused value as an error may show it: a webhook URL is a credential, so only its scheme
    and host, and of anything else only a short start."""
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        scheme, host = "", None
    if scheme and host:
        return f"{scheme}://{host}/…"
    return value if len(value) <= 12 else value[:12] + "…"


def check_proxy(value: str | None) -> str | None:
    return None if value is None else check_url(value, PROXY_SCHEMES)


HttpUrl = Annotated[str, AfterValidator(check_url)]


class Category(StrEnum):
    """What a target is for; the policy treats pages and tickets differently."""

    NOTIFY = "notify"  # pages, chat, webhooks, mail: suppressed during cooldown, storms and loops
    TICKET = "ticket"  # find-or-create by fingerprint; recurrences become comments


class TargetBase(BaseModel):
    """Fields every target has: its name, what it wants to hear about, what may leave the host.

    Target schemas are built on first use (`defer_build`): a daemon with no target never pays
    for them (about 0.8 MiB)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    enabled: bool = True
    kinds: list[str] = Field(default_factory=list)  # empty = every kind
    min_severity: Severity = Severity.WARNING
    hosts: list[str] = Field(default_factory=list)  # empty = every host; fnmatch patterns
    include_titles: list[str] = Field(default_factory=list)  # regexes; empty = all
    exclude_titles: list[str] = Field(default_factory=list)
    include_trace: bool = True
    include_host: bool = True
    verify: bool = True
    ca_bundle: str | None = None
    proxy: str | None = None  # e.g. http://proxy:3128; None = requests' *_PROXY environment handling
    timeout: float = Field(default=15.0, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)

    _proxy = field_validator("proxy")(check_proxy)

    @field_validator("include_titles", "exclude_titles")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            re.compile(pattern)
        return value

    @model_validator(mode="after")
    def _tls(self) -> TargetBase:
        if not self.verify and self.ca_bundle:
            raise ValueError("ca_bundle is set but verify = false; remove one of them")
        return self

    @property
    def category(self) -> Category:
        return Category.NOTIFY


class Regression(StrEnum):
    """What a ticket target does when the bug's ticket is closed and the bug crashes again."""

    REOPEN = "reopen"  # reopen the closed ticket, with a comment saying it regressed
    NEW = "new"  # file a new ticket "TITLE (2)" that points at the closed one


class TicketBase(TargetBase):
    """Ticket trackers: one ticket per fingerprint, comments for recurrences; a crash of a bug
    whose ticket is closed is a regression (`on_regression`); `min_crashes` and `min_hosts` hold
    the ticket back until the bug crashed that often or on that many hosts."""

    comment_recurrences: bool = True
    on_regression: Regression = Regression.REOPEN
    min_crashes: int = Field(default=1, ge=1)
    min_hosts: int = Field(default=1, ge=1)

    @property
    def category(self) -> Category:
        return Category.TICKET


class WebhookTarget(TargetBase):
    """Generic JSON webhook signed per Standard Webhooks (docs/webhook-schema.md)."""

    type: Literal["webhook"]
    url: HttpUrl | None = None  # not secret
    url_ref: str | None = None  # when the URL itself is a credential
    secret_ref: str | None = None  # whsec_<base64>; None = unsigned
    headers: dict[str, str] = Field(default_factory=dict)

    _ref = field_validator("url_ref", "secret_ref")(check_ref)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookTarget:
        if (self.url is None) == (self.url_ref is None):
            raise ValueError("set exactly one of url and url_ref")
        return self


class SlackTarget(TargetBase):
    type: Literal["slack"]
    url_ref: str  # the incoming-webhook URL is the credential

    _ref = field_validator("url_ref")(check_ref)


class TeamsTarget(TargetBase):
    type: Literal["teams"]
    url_ref: str  # the Workflows URL carries sig= and is the credential

    _ref = field_validator("url_ref")(check_ref)


class PagerDutyTarget(TargetBase):
    type: Literal["pagerduty"]
    routing_key_ref: str
    url: HttpUrl = "https://events.pagerduty.com/v2/enqueue"

    _ref = field_validator("routing_key_ref")(check_ref)


class AlertmanagerTarget(TargetBase):
    type: Literal["alertmanager"]
    urls: list[HttpUrl] = Field(min_length=1)  # every replica of an HA pair
    active_hours: float = Field(default=24.0, gt=0)  # endsAt = crash detection + this
    repost_minutes: float = Field(default=30.0, gt=0)  # re-post while active (AM keeps alerts in memory)
    extra_labels: dict[str, str] = Field(default_factory=dict)
    bearer_ref: str | None = None

    _ref = field_validator("bearer_ref")(check_ref)


class OpsgenieTarget(TargetBase):
    type: Literal["opsgenie"]
    api_key_ref: str
    base_url: HttpUrl = "https://api.opsgenie.com"  # or api.eu.opsgenie.com, or JSM ops
    path: str = "/v2/alerts"  # JSM ops: /jsm/ops/integration/v2/alerts
    priority: str = Field(default="P2", pattern=r"^P[1-5]$")
    tags: list[str] = Field(default_factory=lambda: ["kcrashd", "kernel-crash"])

    _ref = field_validator("api_key_ref")(check_ref)


class SmtpTarget(TargetBase):
    type: Literal["smtp"]
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_ref: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    subject_prefix: str = "[kcrashd]"

    _ref = field_validator("password_ref")(check_ref)


class JiraTarget(TicketBase):
    type: Literal["jira"]
    url: HttpUrl
    flavor: Literal["cloud", "datacenter"] = "cloud"
    project: str
    issue_type: str = "Bug"
    email: str | None = None  # Cloud: basic auth email:api_token
    token_ref: str  # Cloud API token, or DC personal access token
    fingerprint_field: str | None = None  # e.g. customfield_10050; None = a label

    _ref = field_validator("token_ref")(check_ref)


class GitHubTarget(TicketBase):
    type: Literal["github"]
    api_url: HttpUrl = "https://api.github.com"
    repository: str = Field(pattern=r"^[^/\s]+/[^/\s]+$")
    token_ref: str
    labels: list[str] = Field(default_factory=lambda: ["kcrashd"])
    min_write_interval: float = Field(default=1.0, ge=0)  # secondary limit: <= 80 writes/min

    _ref = field_validator("token_ref")(check_ref)


class GitLabTarget(TicketBase):
    type: Literal["gitlab"]
    url: HttpUrl = "https://gitlab.com"
    project: str  # numeric id or url-encoded path
    token_ref: str
    labels: list[str] = Field(default_factory=lambda: ["kcrashd"])

    _ref = field_validator("token_ref")(check_ref)


class BugzillaTarget(TicketBase):
    type: Literal["bugzilla"]
    url: HttpUrl
    product: str
    component: str
    version: str = "unspecified"
    api_key_ref: str
    marker_field: Literal["whiteboard", "keywords"] = "whiteboard"
    reopen_status: str = "CONFIRMED"  # the open status a regression moves a closed bug to

    _ref = field_validator("api_key_ref")(check_ref)


class RedmineTarget(TicketBase):
    type: Literal["redmine"]
    url: HttpUrl
    project: str  # identifier
    tracker_id: int = 1
    fingerprint_field_id: int  # id of a filterable string custom field
    api_key_ref: str
    reopen_status_id: int | None = None  # the status a regression reopens to; None = the first open status

    _ref = field_validator("api_key_ref")(check_ref)


TargetConfig = Annotated[
    WebhookTarget
    | SlackTarget
    | TeamsTarget
    | PagerDutyTarget
    | AlertmanagerTarget
    | OpsgenieTarget
    | SmtpTarget
    | JiraTarget
    | GitHubTarget
    | GitLabTarget
    | BugzillaTarget
    | RedmineTarget,
    Field(discriminator="type"),
]


@cache
def targets_adapter() -> TypeAdapter[list[TargetConfig]]:
    return TypeAdapter(list[TargetConfig])


if TYPE_CHECKING:
    TargetList = list[TargetConfig]
else:
    # Checked by AlertsConfig._targets through the adapter above, built only when there are
    # targets; each target is written out by its own type.
    TargetList = Annotated[list[SerializeAsAny[TargetBase]], SkipValidation]


class PolicyConfig(BaseModel):
    """When to page, when to stay quiet and when to summarise (docs/alerting.md, "Policy")."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    cooldown_hours: float = Field(default=24.0, ge=0)  # a fingerprint pages at most once per window
    loop_crashes: int = Field(default=3, ge=2)  # N crashes of one host ...
    loop_hours: float = Field(default=1.0, gt=0)  # ... within M hours = a crash loop: one digest
    storm_hosts: int = Field(default=10, ge=2)  # this many distinct hosts ...
    storm_minutes: float = Field(default=15.0, gt=0)  # ... crashing within this window = a storm
    storm_max_pages: int = Field(
        default=5, ge=0
    )  # new fingerprints paged per storm; the rest go in the digest
    digest_delay_minutes: float = Field(default=10.0, ge=0)  # wait before sending a digest so it is complete
    max_page_age_hours: float = Field(default=24.0, gt=0)  # older backlog crashes are recorded, not paged
    quiet_days: float = Field(default=30.0, ge=0)  # a crash after this long without one says "since"; 0 = never


class RetryConfig(BaseModel):
    """How deliveries are retried (durable: the schedule is in the outbox, not in memory)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    base_seconds: float = Field(default=5.0, gt=0)
    cap_seconds: float = Field(default=3600.0, gt=0)
    max_age_hours: float = Field(default=72.0, gt=0)  # then the delivery is given up, loudly
    retry_after_cap_seconds: float = Field(default=21600.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0)  # a 'sending' row older than this is retried
    batch: int = Field(default=50, ge=1)  # rows per deliver_due() call


class AlertsConfig(BaseModel):
    """The `[alerts]` table."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    enabled: bool = True
    machine_id_path: str = "/etc/machine-id"
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    targets: TargetList = Field(default_factory=list)

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and all(isinstance(t, TargetBase) for t in value):
            return list(value)
        return targets_adapter().validate_python(value)

    @model_validator(mode="after")
    def _unique_names(self) -> AlertsConfig:
        names = [t.name for t in self.targets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate target names: {', '.join(dupes)}")
        return self

    def target(self, name: str) -> TargetConfig | None:
        return next((t for t in self.targets if t.name == name), None)
