"""Human-readable renderings of an AlertPayload shared by chat, mail and ticket targets.

Each takes an escaping function for inline text and one for preformatted blocks, so a
target only picks its format's escapers (kcrashd.sinks.alerting.escape).
"""

from __future__ import annotations

from collections.abc import Callable

from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind, summary_lines

Escaper = Callable[[str], str]


def subject(payload: AlertPayload, limit: int = 200) -> str:
    """One line: the alert's headline with the fingerprint, safe as a title or mail subject."""
    head = payload.headline
    if payload.event not in (EventKind.STORM, EventKind.LOOP):
        head = f"{head} [{payload.fingerprint}]"
    return escape.one_line(head, limit)


def recurrence_line(payload: AlertPayload) -> str:
    where = f"on {payload.host}" if payload.host else "on another host"
    return f"Seen again {where} at {payload.crash_time.isoformat()} (crash {payload.crash_id}, count {payload.count})."


def regression_line(payload: AlertPayload) -> str:
    """The comment a reopened ticket gets: the bug regressed, where and when."""
    where = f"on {payload.host}" if payload.host else "on another host"
    return (
        f"Regressed: crashed again {where} at {payload.crash_time.isoformat()} (crash {payload.crash_id},"
        f" count {payload.count}) after this ticket was closed; reopened by kcrashd."
    )


def text_body(payload: AlertPayload, *, marker: str | None = None) -> str:
    """Plain text (mail, Bugzilla): label/value lines, then the trace excerpt."""
    lines = [escape.plain(payload.headline), ""]
    width = max((len(k) for k, _ in summary_lines(payload)), default=0)
    lines += [f"{k + ':':<{width + 1}} {escape.one_line(v)}" for k, v in summary_lines(payload)]
    if payload.excerpt:
        lines += ["", "Trace excerpt:", *(escape.plain(x) for x in payload.excerpt)]
    if marker:
        lines += ["", marker]
    return "\n".join(lines)


def markup_body(
    payload: AlertPayload,
    *,
    inline: Escaper,
    block: Callable[[str], str],
    bullet: str = "* ",
    bold: Callable[[str], str] = lambda s: f"**{s}**",
    marker: str | None = None,
) -> str:
    """A lightweight-markup body (Markdown, Textile, Jira wiki) from escapers of the format."""
    out = [inline(payload.headline), ""]
    out += [f"{bullet}{bold(k)}: {inline(v)}" for k, v in summary_lines(payload)]
    if payload.excerpt:
        out += ["", block("\n".join(payload.excerpt))]
    if marker:
        out += ["", inline(marker)]
    return "\n".join(out)
