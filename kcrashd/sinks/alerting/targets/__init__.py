"""One module per destination, named like the target's `type`; a sender registers itself when
its module is imported, which `sender_for` does for the types that are configured only."""

MODULES = (
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
)

__all__ = ["MODULES"]
