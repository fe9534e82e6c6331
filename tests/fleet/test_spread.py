"""kcrashd/model/spread.py: crash entries of many hosts folded by fingerprint (pure: no journal)."""

from __future__ import annotations

from datetime import UTC, datetime

from kcrashd.model.spread import entry_from_fields, summarize


def fields(
    crash_id: str, host: str, stamp: str, fingerprint: str = "kc2-a", **more: object
) -> dict[str, object]:
    base: dict[str, object] = {
        "KCRASHD_CRASH_ID": crash_id, "KCRASHD_FINGERPRINT": fingerprint, "KCRASHD_TITLE": f"title {crash_id}",
        "KCRASHD_KIND": "oops", "KCRASHD_HOST": host, "KCRASHD_KERNEL": f"6.1.{crash_id[-1]}",
        "KCRASHD_CRASH_TIME": stamp,
    }  # fmt: skip
    base.update(more)
    return base


def test_one_summary_per_fingerprint_each_crash_once() -> None:
    raw = [
        fields("c1", "web1", "2026-11-01T10:00:00+00:00"),
        fields("c2", "web2", "2026-11-01T12:00:00+02:00"),  # 10:00 UTC
        fields("c3", "web1", "2026-11-01T11:00:00+00:00"),
        fields("c1", "web1", "2026-11-01T10:00:00+00:00"),  # the same entry read twice
        fields("c1", "web3", "2026-11-02T10:00:00+00:00", fingerprint="kc2-b"),  # same id, other host
    ]
    entries = [e for e in (entry_from_fields(f) for f in raw) if e is not None]
    bugs = {bug.fingerprint: bug for bug in summarize(entries)}
    a = bugs["kc2-a"]
    assert (a.count, a.hosts, a.kernels) == (3, {"web1": 2, "web2": 1}, {"6.1.1", "6.1.2", "6.1.3"})
    assert a.first == datetime(2026, 11, 1, 10, tzinfo=UTC) and a.last == datetime(
        2026, 11, 1, 11, tzinfo=UTC
    )
    assert a.title == "title c3"  # the latest crash's wording
    assert bugs["kc2-b"].count == 1
    assert [bug.fingerprint for bug in summarize(entries)] == ["kc2-a", "kc2-b"]  # oldest last crash first


def test_malformed_entries_are_skipped() -> None:
    good = fields("c1", "web1", "2026-11-01T10:00:00+00:00")
    assert entry_from_fields(good) is not None
    assert entry_from_fields({**good, "KCRASHD_HOST": [1, 2, 3]}) is None  # binary (journalctl prints bytes)
    assert entry_from_fields({k: v for k, v in good.items() if k != "KCRASHD_FINGERPRINT"}) is None
    assert entry_from_fields({**good, "KCRASHD_CRASH_TIME": "yesterday"}) is None
    assert entry_from_fields({**good, "KCRASHD_CRASH_TIME": "2026-11-01T10:00:00"}) is None  # no offset
    assert entry_from_fields({**good, "KCRASHD_KERNEL": ""}) is None
    several = entry_from_fields({**good, "KCRASHD_HOST": ["web1", "web1b"]})  # a field sent twice
    assert several is not None and several.host == "web1"
