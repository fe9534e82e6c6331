"""How a person names a crash on the command line, for every verb that takes one (`info`,
`similar`, `resend`): its crash id, a unique prefix of it (`kcrashd list` shows 12 characters),
its dump folder's path, or the folder's name as `ls /var/crash` shows it.  A folder named by path
or name that holds several recorded crashes (a folder written again) stands for the latest."""

from __future__ import annotations

import os
import sqlite3

HEX = frozenset("0123456789abcdef")
LATEST = " ORDER BY crash_time DESC, detected_at DESC"


class CrashNameError(LookupError):
    """No crash, or more than one, answers to the name; the message says which."""


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve_crash(conn: sqlite3.Connection, name: str) -> str:
    """The crash id `name` stands for; CrashNameError when none or several do."""
    text = name.strip()
    if not text:
        raise CrashNameError("an empty crash name")
    lowered = text.lower()
    if set(lowered) <= HEX:
        rows = conn.execute(
            "SELECT crash_id FROM crashes WHERE crash_id LIKE ? ESCAPE '\\' LIMIT 3", (escape_like(lowered) + "%",)
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if len(rows) > 1:
            shown = ", ".join(str(r[0])[:16] for r in rows[:2])
            raise CrashNameError(f"{name!r} is the start of several crash ids ({shown}, ...): give more of it")
    found = by_folder(conn, text)
    if found is None:
        raise CrashNameError(f"no recorded crash is named {name!r} (a crash id, a unique prefix, a dump folder or its name)")
    return found


def by_folder(conn: sqlite3.Connection, text: str) -> str | None:
    """The latest crash of the dump folder named by path (or its log file's path) or by name."""
    if "/" in text or os.path.exists(text):
        path = os.path.abspath(text)
        row = conn.execute(
            "SELECT crash_id FROM crashes WHERE dump_dir = ? OR log_path = ?" + LATEST + " LIMIT 1", (path, path)
        ).fetchone()
        if row is not None or "/" in text:
            return None if row is None else str(row[0])
    folders = conn.execute(
        "SELECT DISTINCT dump_dir FROM crashes WHERE substr(dump_dir, -length(?) - 1) = '/' || ? LIMIT 3", (text, text)
    ).fetchall()
    if len(folders) > 1:
        where = ", ".join(str(f[0]) for f in folders[:2])
        raise CrashNameError(f"several dump folders are named {text!r} ({where}, ...): give the full path")
    if not folders:
        return None
    row = conn.execute("SELECT crash_id FROM crashes WHERE dump_dir = ?" + LATEST + " LIMIT 1", (folders[0][0],)).fetchone()
    return None if row is None else str(row[0])


def resolve_fingerprint(conn: sqlite3.Connection, name: str) -> str:
    """A fingerprint recorded here as given, else the fingerprint of the crash `name` names
    (`kcrashd group merge` takes either)."""
    if conn.execute("SELECT 1 FROM fingerprints WHERE fingerprint = ?", (name,)).fetchone() is not None:
        return name
    try:
        crash_id = resolve_crash(conn, name)
    except CrashNameError as exc:
        raise CrashNameError(f"{name!r} is no fingerprint recorded here, and {exc}") from None
    row = conn.execute("SELECT fingerprint FROM crashes WHERE crash_id = ?", (crash_id,)).fetchone()
    if row is None or not row[0]:
        raise CrashNameError(f"crash {crash_id} has no fingerprint (its log showed no crash)")
    return str(row[0])
