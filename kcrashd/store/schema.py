"""The tables of the state database, by component, each with its version (docs/state.md).

Only kcrashd/store/database.py uses them: it creates them (`ensure_schema`) and records the versions in
`schema_versions`; a database with a newer version than this kcrashd knows is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS crashes(
    crash_id TEXT PRIMARY KEY,
    dump_dir TEXT NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    log_path TEXT,
    log_mtime_ns INTEGER,
    log_size INTEGER,
    layout TEXT NOT NULL,
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    kernel TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    function TEXT,
    fingerprint TEXT NOT NULL,
    crash_time REAL NOT NULL,
    detected_at REAL NOT NULL,
    incomplete INTEGER NOT NULL,
    test INTEGER NOT NULL,
    too_old_to_page INTEGER NOT NULL,
    status TEXT NOT NULL,
    journaled_at REAL,
    vmcore_state TEXT NOT NULL,
    record_json TEXT NOT NULL,
    updated_at REAL NOT NULL,
    alert_key TEXT,
    decision TEXT,
    storm_id INTEGER,
    ticket TEXT,
    decided_at REAL
);
CREATE INDEX IF NOT EXISTS crashes_dir ON crashes(dump_dir, ino);
CREATE INDEX IF NOT EXISTS crashes_inode ON crashes(ino, dev);
CREATE INDEX IF NOT EXISTS crashes_fingerprint ON crashes(fingerprint);
CREATE INDEX IF NOT EXISTS crashes_fingerprint_time ON crashes(fingerprint, crash_time);
CREATE INDEX IF NOT EXISTS crashes_time ON crashes(crash_time);
CREATE INDEX IF NOT EXISTS crashes_pending ON crashes(status) WHERE status != 'journaled';
CREATE INDEX IF NOT EXISTS crashes_alert_key ON crashes(alert_key, decided_at) WHERE decision IS NOT NULL;
CREATE INDEX IF NOT EXISTS crashes_host_time ON crashes(host, crash_time) WHERE decision IS NOT NULL;
CREATE TABLE IF NOT EXISTS fingerprints(
    fingerprint TEXT PRIMARY KEY,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fingerprint_hosts(
    fingerprint TEXT NOT NULL,
    host TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(fingerprint, host)
);
CREATE TABLE IF NOT EXISTS history_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# One row per (crash or digest, target); claimed with a lease by kcrashd.sinks.alerting.delivery.
OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
  id              INTEGER PRIMARY KEY,
  target          TEXT NOT NULL,
  crash_id        TEXT,
  digest_id       INTEGER,
  event           TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  idem_key        TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at REAL NOT NULL,
  lease_until     REAL,
  last_status     INTEGER,
  last_error      TEXT,
  remote_ref      TEXT,
  remote_url      TEXT,
  created_at      REAL NOT NULL,
  updated_at      REAL NOT NULL,
  expires_at      REAL NOT NULL,
  delivered_at    REAL,
  UNIQUE (target, idem_key)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_crash ON outbox(crash_id);
CREATE TABLE IF NOT EXISTS outbox_digests (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
  started REAL NOT NULL, last REAL NOT NULL, pages INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_remote (
  target TEXT NOT NULL, fingerprint TEXT NOT NULL, remote_ref TEXT NOT NULL, remote_url TEXT,
  PRIMARY KEY (target, fingerprint)
);
CREATE TABLE IF NOT EXISTS outbox_targets (
  target TEXT PRIMARY KEY, open_until REAL, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
"""


# history 1 -> 2: the paging policy's per-crash history moves from the outbox's own table
# (`outbox_crashes`, which repeated each crash's key, host, title and time) into `crashes`:
# one history of each crash and fingerprint for the CLI, the policy and the tickets.
HISTORY_2 = """
ALTER TABLE crashes ADD COLUMN alert_key TEXT;
ALTER TABLE crashes ADD COLUMN decision TEXT;
ALTER TABLE crashes ADD COLUMN storm_id INTEGER;
ALTER TABLE crashes ADD COLUMN ticket TEXT;
ALTER TABLE crashes ADD COLUMN decided_at REAL
"""
FOLD_OUTBOX_CRASHES = """
UPDATE crashes SET alert_key = o.fingerprint, decision = o.decision, storm_id = o.storm_id, ticket = o.ticket,
    decided_at = o.seen_at FROM outbox_crashes AS o WHERE o.crash_id = crashes.crash_id;
DROP TABLE outbox_crashes
"""


# history 2 -> 3: the part of each crash's log kept for `kcrashd retriage` (kcrashd.core.kept_log:
# at most 64 KiB of the log's own bytes, zlib-compressed), in a table of its own so that `list`
# never reads it. Crashes recorded before have none ("no log kept").
CRASH_LOGS = """
CREATE TABLE IF NOT EXISTS crash_logs(
    crash_id TEXT PRIMARY KEY,
    log BLOB NOT NULL,
    kept INTEGER NOT NULL,
    read INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Component:
    """A part of the schema with its own version in `schema_versions`; `upgrades[n]` takes a
    database of version n to n + 1 (run before `ddl`, which creates what is missing)."""

    name: str
    version: int
    ddl: str
    upgrades: dict[int, str] = field(default_factory=dict)


# The operator's merges (`kcrashd group merge A B`): crashes of fingerprint `alias` are grouped,
# counted and paged as `fingerprint` (docs/grouping.md). Local to this state.
GROUPING_SCHEMA = """
CREATE TABLE IF NOT EXISTS merges(
    alias TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    merged_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS merges_fingerprint ON merges(fingerprint)
"""

COMPONENTS = (
    Component("history", 3, HISTORY_SCHEMA + ";" + CRASH_LOGS, {1: HISTORY_2, 2: CRASH_LOGS}),
    Component("outbox", 2, OUTBOX_SCHEMA, {1: FOLD_OUTBOX_CRASHES}),
    Component("grouping", 1, GROUPING_SCHEMA),
)
