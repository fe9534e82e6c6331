"""One module per destination; importing this package registers every sender by `type`."""

from kcrashd.alerting.targets import (
    alertmanager,
    bugzilla,
    github,
    gitlab,
    jira,
    opsgenie,
    pagerduty,
    redmine,
    slack,
    smtp,
    teams,
    webhook,
)

__all__ = [
    "alertmanager",
    "bugzilla",
    "github",
    "gitlab",
    "jira",
    "opsgenie",
    "pagerduty",
    "redmine",
    "slack",
    "smtp",
    "teams",
    "webhook",
]
