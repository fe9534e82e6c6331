"""Secrets by reference, and redaction of everything that might echo them.

A reference is `credential:NAME` ($CREDENTIALS_DIRECTORY/NAME, systemd LoadCredential=),
`file:/PATH` (owner-only: refused when group or others may read it) or `env:VAR`.
Every value loaded is remembered so `redact()` can scrub it from log lines, exception text,
journal fields and stored errors (docs/alerting.md section 5.11: requests puts URLs in its
exception messages).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

REDACTED = "[redacted]"

_known: set[str] = set()
_known_lock = threading.Lock()

# Known credential shapes that may appear even when the value was never loaded here;
# the named group `keep` survives, the rest of the match is replaced.
PATTERNS = [
    re.compile(r"(?P<keep>hooks\.slack\.com/)(services|workflows|triggers)/[^\s\"'<>]+"),
    re.compile(r"(?P<keep>discord(?:app)?\.com/api/webhooks/)[^\s\"'<>]+"),
    re.compile(
        r"(?P<keep>[?&](?:sig|token|api_key|apikey|key|Bugzilla_api_key|access_token|code)=)[^&\s\"'<>]+",
        re.I,
    ),
    re.compile(r"(?P<keep>\b(?:GenieKey|Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    re.compile(
        r"(?P<keep>\b(?:X-Redmine-API-Key|X-BUGZILLA-API-KEY|PRIVATE-TOKEN|routing_key|api_key)['\"]?\s*[:=]\s*['\"]?)"
        r"[^\s'\",}]+",
        re.I,
    ),
    re.compile(r"(?P<keep>://[^/@\s:]+:)[^@\s/]+(?=@)"),  # user:password@ in URLs (proxies)
]


class SecretError(Exception):
    """A secret reference that cannot be used; the message never contains the secret."""


def remember(value: str) -> None:
    """Register a secret value (and its URL path, for URLs) so redact() scrubs it everywhere."""
    value = value.strip()
    if len(value) < 4:
        return
    with _known_lock:
        _known.add(value)
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            if len(parts.path) > 1:
                _known.add(parts.path)
            if parts.query:
                _known.add(parts.query)


def redact(text: str) -> str:
    """Text with every known secret value and every credential-looking pattern replaced."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern in PATTERNS:
        text = pattern.sub(_pattern_sub, text)
    return text


def _pattern_sub(match: re.Match[str]) -> str:
    return (match.groupdict().get("keep") or "") + REDACTED


def redact_url(url: str) -> str:
    """What may be shown of a URL: scheme and host only (webhook URLs are credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def resolve(ref: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret a reference names; raises SecretError (without the value) when unusable."""
    env = os.environ if environ is None else environ
    kind, _, name = ref.partition(":")
    if kind == "credential":
        directory = env.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise SecretError(f"{ref}: $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit?)")
        value = _read(credential_path(Path(directory), name), ref, check_mode=False)
    elif kind == "file":
        value = _read(Path(name), ref, check_mode=True)
    elif kind == "env":
        if name not in env or not env[name].strip():
            raise SecretError(f"{ref}: environment variable is not set")
        value = env[name].strip()
    else:
        raise SecretError(f"{ref}: not a secret reference")
    remember(value)
    return value


CREDENTIAL_DIR_PREFIX = "kcrashd_"


def read_reference(ref: str, credentials: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret a reference names, as `kcrashd check-config` sees it from outside the service:
    a `credential:` is read from $CREDENTIALS_DIRECTORY when set, else from `credentials`, the
    directory the shipped unit loads them from; None for an `env:` variable not set here (the
    service's own Environment= is not visible). Raises SecretError like `resolve`."""
    env = os.environ if environ is None else environ
    kind, _, name = ref.partition(":")
    if kind == "env" and not env.get(name, "").strip():
        return None
    if kind != "credential" or env.get("CREDENTIALS_DIRECTORY"):
        return resolve(ref, env)
    for path in (credentials / name, credentials / name.removeprefix(CREDENTIAL_DIR_PREFIX)):
        if path.exists():
            value = _read(path, ref, check_mode=False)
            remember(value)
            return value
    source = credentials / name.removeprefix(CREDENTIAL_DIR_PREFIX)
    raise SecretError(f"{ref}: no file {source} (the unit loads credentials from {credentials})")


def credential_path(directory: Path, name: str) -> Path:
    """`NAME` as loaded one by one (`LoadCredential=NAME:...`), else as a file of the directory the
    shipped unit loads (`LoadCredential=kcrashd:/etc/kcrashd/credentials`, named `kcrashd_NAME`)."""
    single = directory / name
    if single.exists() or name.startswith(CREDENTIAL_DIR_PREFIX):
        return single
    return directory / (CREDENTIAL_DIR_PREFIX + name)


def _read(path: Path, ref: str, *, check_mode: bool) -> str:
    try:
        info = path.stat()
        if check_mode and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(
                f"{ref}: refusing a secret file that group or others can access "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); chmod 0600 it"
            )
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretError(f"{ref}: cannot read: {exc.strerror}") from None
    if not value:
        raise SecretError(f"{ref}: empty")
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_redaction() -> None:
    """Scrub kcrashd's alerting logs and silence urllib3's request-line DEBUG output."""
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logger = logging.getLogger("kcrashd.sinks.alerting")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
