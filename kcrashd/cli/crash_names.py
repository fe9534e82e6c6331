"""How a person names a crash on the command line, for every verb that takes one (`info`,
`similar`, `resend`): its crash id, a unique prefix of it (`kcrashd list` shows 12 characters),
its dump folder's path, or the folder's name as `ls /var/crash` shows it.  A folder named by path
or name that holds several recorded crashes (a folder written again) stands for the latest.
The lookups are the store's (kcrashd.store.history_reads.CrashNames)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kcrashd.store.history_reads import CrashNames

if TYPE_CHECKING:
    import sqlite3

HEX = frozenset("0123456789abcdef")


class CrashNameError(LookupError):
    """No crash, or more than one, answers to the name; the message says which."""


def resolve_crash(conn: sqlite3.Connection, name: str) -> str:
    """The crash id `name` stands for; CrashNameError when none or several do."""
    text = name.strip()
    if not text:
        raise CrashNameError("an empty crash name")
    lowered = text.lower()
    names = CrashNames(conn)
    if set(lowered) <= HEX:
        ids = names.ids_starting(lowered, 3)
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            shown = ", ".join(crash_id[:16] for crash_id in ids[:2])
            raise CrashNameError(f"{name!r} is the start of several crash ids ({shown}, ...): give more of it")
    found = by_folder(names, text)
    if found is None:
        raise CrashNameError(f"no recorded crash is named {name!r} (a crash id, a unique prefix, a dump folder or its name)")
    return found


def by_folder(names: CrashNames, text: str) -> str | None:
    """The latest crash of the dump folder named by path (or its log file's path) or by name."""
    if "/" in text or os.path.exists(text):
        found = names.latest_at(os.path.abspath(text))
        if found is not None or "/" in text:
            return found
    folders = names.folders_named(text, 3)
    if len(folders) > 1:
        where = ", ".join(folders[:2])
        raise CrashNameError(f"several dump folders are named {text!r} ({where}, ...): give the full path")
    return names.latest_in(folders[0]) if folders else None


def resolve_fingerprint(conn: sqlite3.Connection, name: str) -> str:
    """A fingerprint recorded here as given, else the fingerprint of the crash `name` names
    (`kcrashd group merge` takes either)."""
    names = CrashNames(conn)
    if names.is_fingerprint(name):
        return name
    try:
        crash_id = resolve_crash(conn, name)
    except CrashNameError as exc:
        raise CrashNameError(f"{name!r} is no fingerprint recorded here, and {exc}") from None
    fingerprint = names.fingerprint_of(crash_id)
    if fingerprint is None:
        raise CrashNameError(f"crash {crash_id} has no fingerprint (its log showed no crash)")
    return fingerprint
