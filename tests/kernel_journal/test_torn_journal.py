"""A previous boot whose journal file a reset tore (tests/kernel_journal/torn_journal.py): sd-journal
leaves such a file out of a reader once an iteration reaches the torn entry, so each pass over a
previous boot (how it ended, its reports, its facts) reads with a reader of its own, and what lies
before the tear is read by every pass. The boot is the real guest's (guest-reset.export: a WARNING
and a NULL-pointer oops survived, then QEMU's system_reset), torn a few kernel lines after the oops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.kernel_journal.conftest import Rig, import_export
from tests.kernel_journal.test_guest_export import EXPORT, boot_of
from tests.kernel_journal.torn_journal import tear_entry

KERNEL = b"_TRANSPORT=kernel"
TORN_AT = 620  # of the boot's 630 kernel lines: after the oops's end marker (line 615), before the last lines


def torn_guest(tmp_path: Path) -> tuple[Path, str, int]:
    if not EXPORT.exists():
        pytest.skip("no guest export kept (tests/system/test_reboot_guest.py makes one)")
    data = EXPORT.read_bytes()
    folder = tmp_path / "torn-journal"
    folder.mkdir()
    import_export(data, folder, "guest")
    assert tear_entry(folder / "guest.journal", KERNEL, TORN_AT) == 630
    boot, last = boot_of(data)
    return folder, boot, last


@pytest.mark.parametrize("window", [0.0, 15.0], ids=["judged-with-the-history-pass", "judged-later"])
def test_a_torn_previous_boot_keeps_its_reports_and_last_lines(
    tmp_path: Path, rig_factory: Callable[..., Rig], window: float
) -> None:
    folder, boot, last = torn_guest(tmp_path)
    rig = rig_factory(path=str(folder), capture_window_minutes=window)
    rig.clock.now = last / 1e6 + 60
    src = rig.source(boot_id="f" * 32)
    src.service(rig.clock.now)
    rig.clock.now += window * 60 + 1
    src.service(rig.clock.now)
    reports = {e["KCRASHD_KIND"]: e for e in rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)}
    assert sorted(reports) == ["null-deref", "warning"]  # both lie before the tear
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert reboot["KCRASHD_BOOT_ID"] == boot
    last_lines = (reboot.get("KCRASHD_LAST_LINES") or "").split("\\x0a")  # the sink escapes newlines
    assert len(last_lines) == 20, last_lines  # the 20 kernel lines before the tear
    assert "end trace" in " ".join(last_lines) and "lab_trigger_null_deref" in " ".join(last_lines)


def test_the_tear_hides_the_rest_of_the_file_from_one_reader(tmp_path: Path) -> None:
    """What the passes guard against, seen with sd-journal alone: once one iteration of a reader
    reached the torn entry, the same reader finds none of the boot's kernel lines, and a new reader
    finds the ones before the tear again."""
    from kcrashd.sources.kernel_journal import kernel_lines, open_reader

    folder, boot, _ = torn_guest(tmp_path)
    reader = open_reader(folder)
    try:
        assert len(list(kernel_lines(reader, boot, None))) == TORN_AT
        assert list(kernel_lines(reader, boot, None)) == []
    finally:
        reader.close()
    fresh = open_reader(folder)
    try:
        assert len(list(kernel_lines(fresh, boot, None))) == TORN_AT
    finally:
        fresh.close()
