"""The pipeline with a real SQLite state and the in-memory journal seam: each crash once,
recurrence counts, late vmcores, hostile folders, a corrupt or full state database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, ConfigError, SourcesConfig, StateConfig, load_config
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sources.units import classify_name, scan_all
from kcrashd.store.database import Store
from tests.daemon.dumps import LOG_NAMES, kdump_file, log_bytes, write_debian, write_file, write_rhel
from tests.fixtures.journal_double import RecordingJournal


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.dumps = tmp_path / "crash"
        self.dumps.mkdir()
        self.state = tmp_path / "state"
        self.config = Config(
            sources=SourcesConfig(dump_paths=[self.dumps], pstore=False), state=StateConfig(state_dir=self.state)
        )
        self.journal = RecordingJournal()
        self.open()

    def open(self) -> None:
        self.store = Store(self.state)
        self.lock = StateLock(self.state)
        self.pipeline = Pipeline(self.config, self.store, self.journal, self.lock)

    def close(self) -> None:
        self.store.close()
        self.lock.close()

    def scan(self) -> list[str]:
        return [self.pipeline.handle(unit).action for unit in scan_all(self.config.sources)]


@pytest.fixture
def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    r = Rig(tmp_path)
    yield r
    r.close()


def test_each_crash_once_with_recurrence(rig: Rig) -> None:
    for i in range(3):
        write_rhel(rig.dumps, f"10.0.0.{i + 1}-2024-05-0{i + 1}-10:00:00", log_bytes())
    write_rhel(rig.dumps, "127.0.0.1-2024-05-04-10:00:00", log_bytes("edge/oom-panic"))
    assert rig.scan() == ["journaled"] * 4
    assert rig.scan() == ["known"] * 4
    entries = {e["KCRASHD_HOST"]: e for e in rig.journal.entries}
    assert entries["10.0.0.1"]["KCRASHD_NEW"] == "1" and entries["10.0.0.1"]["KCRASHD_COUNT"] == "1"
    assert entries["10.0.0.3"]["KCRASHD_NEW"] == "0" and entries["10.0.0.3"]["KCRASHD_COUNT"] == "3"
    assert entries["10.0.0.3"]["KCRASHD_HOSTS"] == "3"
    assert entries["10.0.0.3"]["KCRASHD_FIRST_SEEN"].startswith("2024-05-01T10:00:00")
    assert "seen 3 times" in entries["10.0.0.3"]["MESSAGE"]
    local = [e for e in rig.journal.entries if e["KCRASHD_FINGERPRINT"] != entries["10.0.0.1"]["KCRASHD_FINGERPRINT"]]
    assert len(local) == 1 and local[0]["KCRASHD_HOST"] == os.uname().nodename


def test_vmcore_landing_later_updates_state_not_journal(rig: Rig) -> None:
    folder = write_rhel(rig.dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes(), kexec_log=False)
    assert rig.scan() == ["journaled"]
    assert rig.journal.entries[0]["KCRASHD_VMCORE_STATE"] == "absent"
    write_file(folder / "vmcore-incomplete", kdump_file(nodename="web9"))
    os.rename(folder / "vmcore-incomplete", folder / "vmcore")
    assert rig.scan() == ["updated"]
    assert rig.scan() == ["known"]
    assert len(rig.journal.entries) == 1
    row = rig.store.pending() or [rig.store.find(str(folder), os.lstat(folder).st_ino)]
    assert row[0] is not None and row[0].vmcore_state == "complete"
    assert row[0].record.vmcore is not None and row[0].record.vmcore.hostname == "web9"


def test_vmcore_header_gives_host_and_time(rig: Rig) -> None:
    write_rhel(rig.dumps, "192.168.1.5-2024-05-01-10:00:00", log_bytes(), vmcore=kdump_file(nodename="db1"))
    rig.scan()
    entry = rig.journal.entries[0]
    assert entry["KCRASHD_HOST"] == "db1"
    assert entry["KCRASHD_CRASH_TIME"] == "2025-06-23T07:23:06+00:00"
    assert entry["KCRASHD_VMCORE_FORMAT"] == "kdump-compressed" and entry["KCRASHD_VMCORE_STATE"] == "complete"


def test_unset_node_name_names_no_host(rig: Rig) -> None:
    """A kernel that crashed before its host name was set reports `(none)`: the dump's IP, or for a
    local dump this machine, names the host instead, so crash-loop rules see real machines."""
    write_rhel(rig.dumps, "192.168.1.5-2024-05-01-10:00:00", log_bytes(), vmcore=kdump_file(nodename="(none)"))
    write_rhel(rig.dumps, "127.0.0.1-2024-05-02-10:00:00", log_bytes(), vmcore=kdump_file(nodename="(none)"))
    rig.scan()
    hosts = sorted(entry["KCRASHD_HOST"] for entry in rig.journal.entries)
    assert hosts == sorted(["192.168.1.5", os.uname().nodename])


def test_test_crash_flagged(rig: Rig) -> None:
    folder = write_rhel(rig.dumps, "kdump-test-1733984219-123456789", log_bytes(), vmcore=kdump_file())
    (folder / "vmcore-creation.status").write_text("success kdump_test_id=1733984219-123456789\n")
    rig.scan()
    entry = rig.journal.entries[0]
    assert entry["KCRASHD_TEST"] == "1" and entry["PRIORITY"] == "5"
    assert entry["MESSAGE"].startswith("kdump test crash")


@pytest.mark.parametrize(
    "payload",
    [os.urandom(200_000), b"\x00" * 10_000, b"\xff\xfe" + "ünïcödé \x1b]0;pwned\x07".encode() * 50, b""],
    ids=["random", "nul", "escapes", "empty"],
)
def test_junk_logs_become_unknown_or_classified(rig: Rig, payload: bytes) -> None:
    write_rhel(rig.dumps, "127.0.0.1-2024-05-01-10:00:00", payload)
    assert rig.scan() == ["journaled"]
    entry = rig.journal.entries[0]
    assert "\x1b" not in entry["MESSAGE"] and "\x1b" not in entry["KCRASHD_TITLE"]


def test_huge_log_bounded(rig: Rig) -> None:
    folder = rig.dumps / "127.0.0.1-2024-05-01-10:00:00"
    folder.mkdir()
    with (folder / "vmcore-dmesg.txt").open("wb") as stream:
        stream.write(b"[    0.000000] Linux version 5.14.0 (x)\n")
        stream.truncate(2 * 2**30)  # 2 GiB, sparse
        stream.seek(0, 2)
        stream.write(log_bytes())
    assert rig.scan() == ["journaled"]
    assert rig.journal.entries[0]["KCRASHD_KIND"] != "none"


def test_hostile_entries(rig: Rig, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "vmcore-dmesg.txt").write_bytes(log_bytes())
    (rig.dumps / "127.0.0.1-2024-05-01-10:00:00").symlink_to(outside)  # symlinked dump folder
    fifo_dir = rig.dumps / "127.0.0.1-2024-05-02-10:00:00"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / "vmcore-dmesg.txt")  # would block a naive reader
    dir_log = rig.dumps / "127.0.0.1-2024-05-03-10:00:00"
    (dir_log / "vmcore-dmesg.txt").mkdir(parents=True)
    (rig.dumps / "127.0.0.1-2024-05-04-10:00:00").write_bytes(b"a file, not a folder")
    link_log = rig.dumps / "127.0.0.1-2024-05-05-10:00:00"
    link_log.mkdir()
    (link_log / "vmcore-dmesg.txt").symlink_to(outside / "vmcore-dmesg.txt")
    unit = classify_name("127.0.0.1-2024-05-01-10:00:00", rig.dumps)
    assert unit is not None and rig.pipeline.handle(unit).action == "skipped"
    actions = rig.scan()
    assert "journaled" not in actions or all(e["KCRASHD_KIND"] == "none" for e in rig.journal.entries)
    for entry in rig.journal.entries:
        assert entry["KCRASHD_TITLE"].startswith("unknown")


def test_corrupt_database_is_set_aside_and_nothing_resent(rig: Rig) -> None:
    for i in range(3):
        write_rhel(rig.dumps, f"10.0.0.{i}-2024-05-01-10:00:00", log_bytes(LOG_NAMES[i]))
    rig.scan()
    assert len(rig.journal.entries) == 3
    rig.close()
    for suffix in ("-wal", "-shm"):
        Path(str(rig.state / "state.db") + suffix).unlink(missing_ok=True)
    (rig.state / "state.db").write_bytes(b"SQLite format 3\0" + os.urandom(8192))
    write_rhel(rig.dumps, "10.0.0.9-2024-05-09-10:00:00", log_bytes(LOG_NAMES[4]))
    rig.open()
    assert list(rig.state.glob("state.db.corrupt-*"))
    actions = sorted(rig.scan())
    assert actions == ["journaled", "known", "known", "known"]  # only the new one is sent
    assert len(rig.journal.entries) == 4


def test_full_disk_defers_and_retries(rig: Rig) -> None:
    """SQLite's "database or disk is full" (here from max_page_count): the crash waits, nothing is lost."""
    write_rhel(rig.dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    assert rig.scan() == ["journaled"]
    write_rhel(rig.dumps, "127.0.0.1-2024-05-02-10:00:00", log_bytes("edge/oom-panic"))
    page_count = rig.store.conn.execute("PRAGMA page_count").fetchone()[0]
    rig.store.conn.execute(f"PRAGMA max_page_count = {page_count}")
    assert rig.scan() == ["known", "deferred"]
    assert len(rig.journal.entries) == 1
    rig.store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert rig.scan() == ["known", "journaled"]


def test_no_log_vmcore_only_uses_makedumpfile_or_says_why(rig: Rig) -> None:
    folder = rig.dumps / "2024-01-05-10:32"
    folder.mkdir()
    write_file(folder / "vmcore", kdump_file())
    assert rig.scan() == ["journaled"]
    entry = rig.journal.entries[0]
    assert entry["KCRASHD_LAYOUT"] == "rhel-kdump-raw"
    assert entry["KCRASHD_INCOMPLETE"] == "1"
    assert "makedumpfile" in entry["KCRASHD_PROBLEMS"]
    assert not list(folder.glob("*dmesg*"))  # nothing written into the dump folder


def test_debian_dump_server_many_hosts(rig: Rig) -> None:
    for i in range(12):
        write_debian(rig.dumps, f"10.1.0.{i}-2026012107{i:02d}", log_bytes(LOG_NAMES[i % 3]), dump=b"x")
    assert rig.scan() == ["journaled"] * 12
    hosts = {e["KCRASHD_HOST"] for e in rig.journal.entries}
    assert len(hosts) == 12
    assert max(int(e["KCRASHD_HOSTS"]) for e in rig.journal.entries) == 4


def test_never_writes_into_dump_folders(rig: Rig) -> None:
    folder = write_rhel(rig.dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes(), vmcore=kdump_file())
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}
    rig.scan()
    assert {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()} == before


def test_schema_versions_table(rig: Rig) -> None:
    conn = sqlite3.connect(rig.state / "state.db")
    versions = dict(conn.execute("SELECT component, version FROM schema_versions"))
    conn.close()
    assert versions == {"history": 3, "outbox": 2, "grouping": 1}  # one history of each crash, the kept logs; the merges (docs/state.md)


def test_history_under_an_earlier_fingerprint_version_is_kept(rig: Rig) -> None:
    """A database written when the bug's key was an older version's: the crash joins that history
    under the old key (alerts and tickets keyed by it are not re-opened); the new key is an alias."""
    write_rhel(rig.dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    assert rig.scan() == ["journaled"]
    first = rig.journal.entries[0]
    aliases = first["KCRASHD_FINGERPRINT_ALIASES"].split() if "KCRASHD_FINGERPRINT_ALIASES" in first else []
    old = next(iter(aliases), None) or "kc1-0123456789abcdef"
    new = first["KCRASHD_FINGERPRINT"]
    rig.store.conn.execute("UPDATE fingerprints SET fingerprint = ? WHERE fingerprint = ?", (old, new))
    rig.store.conn.execute("UPDATE fingerprint_hosts SET fingerprint = ? WHERE fingerprint = ?", (old, new))
    rig.store.conn.execute("UPDATE crashes SET fingerprint = ? WHERE fingerprint = ?", (old, new))
    write_rhel(rig.dumps, "10.0.0.2-2024-05-02-10:00:00", log_bytes())
    if not aliases:
        pytest.skip("the core's report for this log lists no earlier fingerprint version")
    assert rig.scan() == ["known", "journaled"]
    second = rig.journal.entries[1]
    assert second["KCRASHD_FINGERPRINT"] == old
    assert new in second["KCRASHD_FINGERPRINT_ALIASES"].split()
    assert second["KCRASHD_NEW"] == "0" and second["KCRASHD_COUNT"] == "2"


def test_log_replaced_after_triage_is_not_journaled_again(rig: Rig) -> None:
    """A dump server's uploader that rewrites a finished log (rename over it, or truncate and
    write): the crash was journaled once and stays journaled once."""
    folder = write_rhel(rig.dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    assert rig.scan() == ["journaled"]
    fresh = folder / "upload.tmp"
    fresh.write_bytes(log_bytes("edge/oom-panic"))
    os.rename(fresh, folder / "vmcore-dmesg.txt")
    assert rig.scan() == ["known"]
    (folder / "vmcore-dmesg.txt").write_bytes(b"\x00junk" * 100)
    assert rig.scan() == ["known"]
    assert len(rig.journal.entries) == 1


def test_daemon_without_alert_targets_never_loads_the_http_stack(tmp_path: Path) -> None:
    """Idle memory: the delivery code (and requests) is imported only when a target exists."""
    code = (
        "import sys; from kcrashd.daemon.service import Daemon; "
        f"d = Daemon(None, {{'sources': {{'dump_paths': ['{tmp_path}'], 'pstore': False}}, "
        f"'state': {{'state_dir': '{tmp_path / 'state'}'}}}}); d.open(); d.pipeline.recover(); "
        "print('requests' in sys.modules, 'kcrashd.sinks.alerting.delivery' in sys.modules); d.close(); "
        "from kcrashd.config.alerting import WebhookTarget, targets_adapter; "
        "print(WebhookTarget.__pydantic_complete__, targets_adapter.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False", "False", "0"], out.stderr  # nor the target schemas


def test_daemon_with_a_target_loads_the_http_stack_only_when_something_is_due(tmp_path: Path) -> None:
    """Idle memory with alerting configured: the alert thread runs, finds nothing due, and
    requests stays unloaded until a delivery is due."""
    code = (
        "import sys, time; from kcrashd.daemon.service import Daemon; "
        f"d = Daemon(None, {{'sources': {{'dump_paths': ['{tmp_path}'], 'pstore': False}}, "
        f"'state': {{'state_dir': '{tmp_path / 'state'}'}}, "
        "'alerts': {'targets': [{'type': 'webhook', 'name': 'ops', 'url': 'http://127.0.0.1:9/hook'}]}}); "
        "d.open(); time.sleep(0.5); "
        "print(d.alert_thread is not None, 'kcrashd.sinks.alerting.delivery' in sys.modules, 'requests' in sys.modules); "
        "d.close()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "True", "False"], out.stderr


def test_target_schemas_are_built_when_a_target_is_configured(tmp_path: Path) -> None:
    config = tmp_path / "kcrashd.toml"
    config.write_text('[[alerts.targets]]\ntype = "webhook"\nname = "ops"\nurl = "http://127.0.0.1:9/hook"\n'
                      '[[alerts.targets]]\ntype = "redmine"\nname = "tickets"\nurl = "http://127.0.0.1:9"\n'
                      'project = "ops"\nfingerprint_field_id = 3\napi_key_ref = "env:KEY"\n')  # fmt: skip
    loaded = load_config(config)
    assert [type(t).__name__ for t in loaded.alerts.targets] == ["WebhookTarget", "RedmineTarget"]
    assert Config.model_validate_json(loaded.model_dump_json()) == loaded  # each target written as its own type
    config.write_text('[[alerts.targets]]\ntype = "webhook"\nname = "ops"\n')
    with pytest.raises(ConfigError, match=r"kcrashd.toml(:\d+)?: alerts\.targets\.0\.webhook: set exactly one of url and url_ref"):
        load_config(config)
