"""E-mail over SMTP (STARTTLS, implicit TLS or plain for loopback relays), threaded per
fingerprint: the first mail's Message-ID is kept, later ones carry In-Reply-To/References.

The Message-ID is derived from the delivery key, so a re-send after a crash mid-delivery
carries the same id (mail clients and many MTAs drop exact duplicates by it).
Errors: 4xx replies and socket errors are retried, 5xx replies are permanent (RFC 5321 4.2.1).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from kcrashd.config.alerting import SmtpTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.cutoff import Cutoff
from kcrashd.sinks.alerting.http import SendFailure, ok, permanent, retry
from kcrashd.sinks.alerting.payload import AlertPayload, summary_lines
from kcrashd.sinks.alerting.render import subject, text_body
from kcrashd.sinks.alerting.targets.base import Delivery, Sender


def html_body(payload: AlertPayload) -> str:
    rows = "".join(
        f"<tr><th align='left'>{escape.html_text(k)}</th><td>{escape.html_text(v)}</td></tr>"
        for k, v in summary_lines(payload)
    )
    trace = f"<pre>{escape.html_text(chr(10).join(payload.excerpt))}</pre>" if payload.excerpt else ""
    return (
        f"<html><body><h3>{escape.html_text(payload.headline)}</h3><table>{rows}</table>{trace}</body></html>"
    )


def build_message(payload: AlertPayload, cfg: SmtpTarget, msg_id: str, thread: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = escape.header(f"{cfg.subject_prefix} {subject(payload)}", 250)
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.recipients)
    msg["Date"] = format_datetime(payload.crash_time)
    msg["Message-ID"] = msg_id
    msg["X-Kcrashd-Fingerprint"] = escape.header(payload.fingerprint, 100)
    if thread and thread != msg_id:
        msg["In-Reply-To"] = thread
        msg["References"] = thread
    msg.set_content(text_body(payload))
    msg.add_alternative(html_body(payload), subtype="html")
    return msg


class SmtpSender(Sender):
    type_name = "smtp"
    config: SmtpTarget

    def send(self, delivery: Delivery) -> Outcome:
        cfg = self.config
        domain = cfg.sender.rpartition("@")[2] or "kcrashd.invalid"
        msg_id = f"<{delivery.idem_key}@{domain}>"
        thread = delivery.remote.get(delivery.fingerprint)
        msg = build_message(delivery.payload, cfg, msg_id, thread[0] if thread else None)
        self._submit(msg)
        if thread is None:
            delivery.remote.put(delivery.fingerprint, msg_id, None)
        return ok(remote_ref=msg_id)

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_bundle)
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _submit(self, msg: EmailMessage) -> None:
        cfg = self.config
        where = f"smtp://{cfg.host}:{cfg.port}"
        try:
            with self.http.guarded(where) as cutoff:
                self._exchange(msg, cutoff)
        except SendFailure:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            outcome = (retry if any(400 <= c < 500 for c in codes) else permanent)(
                f"{where}: all recipients refused ({', '.join(map(str, codes))})"
            )
            raise SendFailure(outcome) from None
        except smtplib.SMTPResponseException as exc:
            text = f"{where}: SMTP {exc.smtp_code}"
            raise SendFailure(
                retry(text, exc.smtp_code) if exc.smtp_code < 500 else permanent(text, exc.smtp_code)
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            if cutoff.fired:
                raise SendFailure(retry(f"{where}: no complete exchange within {cfg.timeout:g} s")) from None
            raise SendFailure(retry(f"{where}: {type(exc).__name__} (connection, TLS or timeout)")) from None

    def _exchange(self, msg: EmailMessage, cutoff: Cutoff) -> None:
        """Connect, secure, log in and submit; the Cutoff can shut the socket at any step."""
        cfg = self.config
        if cfg.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=cfg.timeout, context=self._context())
        else:
            client = smtplib.SMTP(timeout=cfg.timeout)
        cutoff.attach(client)
        client.connect(cfg.host, cfg.port)
        with client:
            if cfg.security == "starttls":
                client.starttls(context=self._context())
            if cfg.username and cfg.password_ref:
                client.login(cfg.username, self.secret(cfg.password_ref))
            refused = client.send_message(msg)
        if refused:
            where = f"smtp://{cfg.host}:{cfg.port}"
            raise SendFailure(permanent(f"{where}: some recipients refused: {', '.join(sorted(refused))}"))
