"""Request-shape checks written from each vendor's documentation, not from kcrashd's senders.

Every check cites its source (as listed in /work/shared/docs/alerting.md, section 6). A check
returns a list of problems; an empty list means the request matches what the document says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from typing import Any

Problems = list[str]


def _rfc3339(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


# --- Standard Webhooks ----------------------------------------------------------------------
# standard-webhooks/standard-webhooks:spec/standard-webhooks.md (v1.0.0)


def standard_webhook(headers: dict[str, str], body: bytes, secret: str | None, now: float) -> Problems:
    p: Problems = []
    h = {k.lower(): v for k, v in headers.items()}
    # "webhook-id: the unique message identifier ... the same when the message is resent"
    if not h.get("webhook-id"):
        p.append("webhook-id header missing")
    # "webhook-timestamp: integer unix timestamp (seconds since epoch)"
    ts = h.get("webhook-timestamp", "")
    if not ts.isdigit():
        p.append("webhook-timestamp must be integer seconds")
    elif abs(int(ts) - now) > 300:  # spec: receivers reject outside a tolerance (5 min in the libraries)
        p.append("webhook-timestamp outside the 5-minute tolerance")
    if secret is not None:
        # "space delimited list of signatures ... v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>"
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(
            hmac.new(key, f"{h.get('webhook-id')}.{ts}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        sigs = [s.split(",", 1)[1] for s in h.get("webhook-signature", "").split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(expected, s) for s in sigs):
            p.append("no matching v1 signature")
    try:
        doc = json.loads(body)
    except ValueError:
        return [*p, "body is not JSON"]
    # spec "Payload structure": type, timestamp, data
    for field in ("type", "timestamp", "data"):
        if field not in doc:
            p.append(f"body.{field} missing (spec: type/timestamp/data)")
    return p


# --- PagerDuty Events API v2 ----------------------------------------------------------------
# PagerDuty/api-schema:reference/events-v2/openapiv3.json


def pagerduty_event(doc: dict[str, Any]) -> Problems:
    p: Problems = []
    rk = doc.get("routing_key")
    if not isinstance(rk, str) or len(rk) != 32:  # "The 32 character Integration Key"
        p.append("routing_key must be a 32-character string")
    if doc.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        p.append("event_action must be trigger/acknowledge/resolve")
    dk = doc.get("dedup_key")
    if dk is not None and (not isinstance(dk, str) or len(dk) > 255):  # InfluxData docs: <= 255
        p.append("dedup_key must be a string of at most 255 characters")
    if doc.get("event_action") == "trigger":
        pl = doc.get("payload")
        if not isinstance(pl, dict):
            return [*p, "payload object required for trigger"]
        if not isinstance(pl.get("summary"), str) or not 0 < len(pl["summary"]) <= 1024:
            p.append("payload.summary required, at most 1024 characters")
        if not isinstance(pl.get("source"), str) or not pl["source"]:
            p.append("payload.source required")
        if pl.get("severity") not in ("critical", "error", "warning", "info"):
            p.append("payload.severity must be critical/error/warning/info")
        if "timestamp" in pl and not _rfc3339(pl["timestamp"]):
            p.append("payload.timestamp must be ISO 8601")
        if "custom_details" in pl and not isinstance(pl["custom_details"], dict):
            p.append("payload.custom_details must be an object")
        allowed = {
            "summary",
            "source",
            "severity",
            "timestamp",
            "component",
            "group",
            "class",
            "custom_details",
        }
        p += [f"payload.{k} not in the schema" for k in pl if k not in allowed]
    allowed_top = {
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "images",
        "links",
        "client",
        "client_url",
    }
    p += [f"{k} not in the schema" for k in doc if k not in allowed_top]
    if len(json.dumps(doc).encode()) > 512_000:  # alertmanager notify/pagerduty/pagerduty.go: 512 KB
        p.append("event larger than 512 KB")
    return p


# --- Alertmanager API v2 ----------------------------------------------------------------------
# prometheus/alertmanager:api/v2/openapi.yaml (postableAlerts); prometheus.io "Alerts API"


def alertmanager_alerts(doc: Any) -> Problems:
    if not isinstance(doc, list):
        return ["body must be a JSON array of postableAlert"]
    p: Problems = []
    for i, alert in enumerate(doc):
        labels = alert.get("labels")
        if not isinstance(labels, dict) or not labels:
            p.append(f"{i}.labels required (labelSet)")
        elif not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            p.append(f"{i}.labels must map strings to strings")
        elif not all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) for k in labels):
            p.append(f"{i}.labels names must match [a-zA-Z_][a-zA-Z0-9_]*")
        ann = alert.get("annotations", {})
        if not isinstance(ann, dict) or not all(isinstance(v, str) for v in ann.values()):
            p.append(f"{i}.annotations must map strings to strings")
        for t in ("startsAt", "endsAt"):
            if t in alert and not _rfc3339(alert[t]):
                p.append(f"{i}.{t} must be RFC 3339 date-time")
        allowed = {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
        p += [f"{i}.{k} not in postableAlert" for k in alert if k not in allowed]
    return p


# --- Slack incoming webhook -------------------------------------------------------------------
# Slack "Improving error conditions for Incoming Webhooks"; Block Kit reference ("Header block":
# plain_text <= 150; "Section block": text <= 3000; <= 50 blocks); changelog 2026-07-13 (send text).


def slack_message(doc: dict[str, Any]) -> Problems:
    p: Problems = []
    if not isinstance(doc.get("text"), str) or not doc["text"]:
        p.append("top-level text (notification fallback) required")
    blocks = doc.get("blocks", [])
    if len(blocks) > 50:
        p.append("more than 50 blocks")
    for i, b in enumerate(blocks):
        if b.get("type") == "header":
            t = b.get("text", {})
            if t.get("type") != "plain_text" or len(t.get("text", "")) > 150:
                p.append(f"block {i}: header needs plain_text <= 150 chars")
        elif b.get("type") == "section":
            t = b.get("text")
            if t is not None and len(t.get("text", "")) > 3000:
                p.append(f"block {i}: section text > 3000")
            for f in b.get("fields", []):
                if len(f.get("text", "")) > 2000:
                    p.append(f"block {i}: field > 2000")
            if len(b.get("fields", [])) > 10:
                p.append(f"block {i}: more than 10 fields")
        elif b.get("type") not in ("context", "divider", "rich_text"):
            p.append(f"block {i}: unexpected type {b.get('type')}")
    text = json.dumps(doc)
    for mention in ("<!channel>", "<!here>", "<!everyone>"):
        if mention in text:
            p.append(f"unescaped mention {mention}")
    return p


# --- Microsoft Teams Workflows ----------------------------------------------------------------
# Microsoft Learn "Create and send messages"; prometheus/alertmanager:notify/msteamsv2/msteamsv2.go


def teams_message(doc: dict[str, Any]) -> Problems:
    p: Problems = []
    if doc.get("type") != "message":
        p.append('type must be "message"')
    atts = doc.get("attachments")
    if not isinstance(atts, list) or len(atts) != 1:
        return [*p, "exactly one attachment expected"]
    att = atts[0]
    if att.get("contentType") != "application/vnd.microsoft.card.adaptive":
        p.append("contentType must be application/vnd.microsoft.card.adaptive")
    card = att.get("content", {})
    if card.get("type") != "AdaptiveCard":
        p.append("content.type must be AdaptiveCard")
    if card.get("$schema") != "http://adaptivecards.io/schemas/adaptive-card.json":
        p.append("content.$schema must be the adaptive card schema")
    if card.get("version") not in ("1.2", "1.3", "1.4", "1.5"):
        p.append("content.version must be 1.2-1.5")
    if not isinstance(card.get("body"), list) or not card["body"]:
        p.append("content.body must be a non-empty list")
    for el in card.get("body", []):
        if el.get("type") not in ("TextBlock", "FactSet", "Container", "ColumnSet"):
            p.append(f"unexpected element {el.get('type')}")
    return p


# --- Opsgenie Alert API -----------------------------------------------------------------------
# docs.opsgenie.com "Alert API" (Create Alert)


def opsgenie_alert(headers: dict[str, str], doc: dict[str, Any]) -> Problems:
    p: Problems = []
    if not {k.lower(): v for k, v in headers.items()}.get("authorization", "").startswith("GenieKey "):
        p.append("Authorization: GenieKey <key> required")
    if not isinstance(doc.get("message"), str) or not 0 < len(doc["message"]) <= 130:
        p.append("message required, <= 130 characters")
    if "alias" in doc and len(doc["alias"]) > 512:
        p.append("alias <= 512 characters")
    if "description" in doc and len(doc["description"]) > 15000:
        p.append("description <= 15000 characters")
    if "details" in doc and not all(isinstance(v, str) for v in doc["details"].values()):
        p.append("details must be a map of strings")
    if "priority" in doc and doc["priority"] not in ("P1", "P2", "P3", "P4", "P5"):
        p.append("priority must be P1..P5")
    if "tags" in doc and not all(isinstance(t, str) for t in doc["tags"]):
        p.append("tags must be strings")
    return p


def opsgenie_note(doc: dict[str, Any]) -> Problems:
    # "Add Note to Alert": POST /v2/alerts/:identifier/notes?identifierType=alias {note, user, source}
    return [] if isinstance(doc.get("note"), str) and len(doc["note"]) <= 25000 else ["note required"]


# --- Jira -------------------------------------------------------------------------------------
# developer.atlassian.com Jira Cloud REST v3 (Issues: create; Issue search: search/jql; Comments);
# Atlassian Document Format; Jira DC REST v2.


def adf_doc(doc: Any) -> Problems:
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return ["ADF: top node must be {type: doc, version: 1}"]
    p: Problems = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("type") == "text" and not isinstance(node.get("text"), str):
            p.append("ADF: text node without text")
        if node.get("type") == "text" and node.get("text") == "":
            p.append("ADF: empty text node")
        for child in node.get("content", []):
            walk(child)

    walk(doc)
    return p


def jira_create(doc: dict[str, Any], *, cloud: bool) -> Problems:
    f = doc.get("fields", {})
    p: Problems = []
    if not f.get("project", {}).get("key"):
        p.append("fields.project.key required")
    if not f.get("issuetype", {}).get("name") and not f.get("issuetype", {}).get("id"):
        p.append("fields.issuetype required")
    if (
        not isinstance(f.get("summary"), str)
        or not f["summary"]
        or len(f["summary"]) > 255
        or "\n" in f["summary"]
    ):
        p.append("fields.summary: one line, <= 255")
    for label in f.get("labels", []):
        if " " in label:
            p.append(f"label with a space: {label!r}")
    if cloud:
        p += adf_doc(f.get("description"))  # v3: description must be ADF
    elif not isinstance(f.get("description"), str):
        p.append("v2: description is a wiki-markup string")
    return p


def jira_comment(doc: dict[str, Any], *, cloud: bool) -> Problems:
    return (
        adf_doc(doc.get("body")) if cloud else ([] if isinstance(doc.get("body"), str) else ["body string"])
    )


# --- GitHub / GitLab / Bugzilla / Redmine -----------------------------------------------------
# GitHub Docs "REST API endpoints for issues"; GitLab Docs "Issues API", "Notes API";
# Bugzilla 5 REST "Bug" (create, comments); Redmine REST "Issues".


def github_headers(headers: dict[str, str]) -> Problems:
    p: Problems = []
    h = {k.lower(): v for k, v in headers.items()}
    if not h.get("authorization", "").startswith(("Bearer ", "token ")):
        p.append("Authorization: Bearer <token>")
    if h.get("accept") != "application/vnd.github+json":
        p.append("Accept: application/vnd.github+json")
    if h.get("x-github-api-version") != "2022-11-28":
        p.append("X-GitHub-Api-Version: 2022-11-28")
    return p


def github_issue(doc: dict[str, Any]) -> Problems:
    p: Problems = []
    if not isinstance(doc.get("title"), str) or not doc["title"]:
        p.append("title required")
    for label in doc.get("labels", []):
        if len(label) > 50:  # github/docs#32156
            p.append(f"label longer than 50: {label}")
    return p


def gitlab_issue(headers: dict[str, str], doc: dict[str, Any]) -> Problems:
    p: Problems = []
    h = {k.lower(): v for k, v in headers.items()}
    if not h.get("private-token") and not h.get("authorization", "").startswith("Bearer "):
        p.append("PRIVATE-TOKEN or Bearer required")
    if not doc.get("title"):
        p.append("title required")
    if "labels" in doc and not isinstance(doc["labels"], str):
        p.append("labels is a comma-separated string")
    return p


def bugzilla_bug(doc: dict[str, Any]) -> Problems:
    # Bugzilla REST "Create Bug": product, component, summary, version required
    return [f"{k} required" for k in ("product", "component", "summary", "version") if not doc.get(k)]


def smtp_message(msg: Any) -> Problems:
    # RFC 5322: one Message-ID, no bare CR/LF inside header values; threading via References
    p: Problems = []
    for name, value in msg.items():
        unfolded = re.sub(r"\r?\n[ \t]", " ", str(value))  # RFC 5322 2.2.3 folding is fine
        if "\n" in unfolded or "\r" in unfolded:
            p.append(f"header {name} contains CR/LF")
    if not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(msg.get("Message-ID", ""))):
        p.append("Message-ID must be <local@domain>")
    return p
