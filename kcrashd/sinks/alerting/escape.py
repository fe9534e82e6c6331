"""Escaping of crash-derived text for each destination's format.

Kernel logs are attacker-influenced text (module names, comm, printk output): nothing from them
may turn into a mention, a link, markup, a mail header or a query operator at the target.
"""

from __future__ import annotations

import html
import re

ZWSP = "\u200b"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MENTION = re.compile(r"([@#!])(?=(here|channel|everyone|all|[A-Za-z0-9_-]))")


def plain(text: str, limit: int | None = None) -> str:
    """Printable text: control characters other than tab/newline removed, optionally truncated."""
    text = _CONTROL.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def one_line(text: str, limit: int | None = None) -> str:
    """Plain text on one line (CR, LF and tabs become spaces)."""
    return plain(re.sub(r"[\r\n\t]+", " ", text), limit)


def slack_mrkdwn(text: str) -> str:
    """Slack mrkdwn: escape & < > (so `<!channel>`/`<@U…>`/links cannot form) and defuse @here."""
    text = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=(here|channel|everyone)\b)", "@" + ZWSP, text)


def slack_plain(text: str, limit: int) -> str:
    """Slack plain_text (header block): shown literally, but keep mention syntax out entirely."""
    text = one_line(text).replace("<", "\u2039").replace(">", "\u203a")
    return plain(re.sub(r"@(?=(here|channel|everyone)\b)", "@" + ZWSP, text), limit)


def slack_code(text: str) -> str:
    """Text for a Slack ``` block: escaped, and no run of three backticks can close the block."""
    return slack_mrkdwn(text).replace("```", "`" + ZWSP + "``")


# Inline text only (never at a line start), so list/heading markers (- + . #) need no escape.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|>~<])")


def markdown(text: str) -> str:
    """Markdown (GitHub, GitLab, Teams TextBlock): backslash-escape markup, defuse mentions."""
    text = _MD_SPECIAL.sub(r"\\\1", plain(text))
    return _MENTION.sub(lambda m: m.group(1) + ZWSP, text)


def markdown_code(text: str) -> str:
    """A fenced code block whose fence is longer than any backtick run inside the text."""
    body = plain(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def adaptive_text(text: str) -> str:
    """Adaptive Card TextBlock: Markdown subset plus `{{...}}` date/time functions; escape both."""
    return markdown(text).replace("{{", "{" + ZWSP + "{")


def html_text(text: str) -> str:
    """HTML body text (e-mail, Redmine, Jira DC wiki {html} never used): entities for <>&\"'."""
    return html.escape(plain(text), quote=True)


def header(text: str, limit: int = 200) -> str:
    """A mail header value: no CR/LF (header injection), no control characters, bounded."""
    return one_line(text, limit)


def jira_wiki(text: str) -> str:
    """Jira DC wiki markup outside {code}: escape the characters that start macros and effects."""
    return re.sub(r"([{}\[\]*_^~|!])", r"\\\1", plain(text))


def jira_wiki_code(text: str) -> str:
    """Text inside a {noformat} block: a literal `{noformat}` would close it early."""
    return plain(text).replace("{noformat}", "{" + ZWSP + "noformat}")


def jql_string(value: str) -> str:
    """A JQL string literal: double-quoted, backslash and quote escaped, one line."""
    return '"' + one_line(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def quicksearch_term(value: str) -> str:
    """A Bugzilla quicksearch value: quoted, embedded quotes removed (quicksearch has no escape)."""
    return '"' + one_line(value).replace('"', "") + '"'


def label(value: str) -> str:
    """A label safe for Jira/GitHub/GitLab: no spaces or commas, at most 50 characters."""
    return re.sub(r"[^A-Za-z0-9._:-]", "-", value)[:50]
