""""Possibly the same bug as FP (score)": real lab crashes recorded by the real pipeline into a real
state database and a real (private) journald, read back with journalctl; the page's summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcrashd.cli import main
from kcrashd.core import analyze
from kcrashd.core.fingerprint import PREFIX
from kcrashd.core.similarity import frame_rarity, similarity, stack_of
from kcrashd.sinks.alerting.payload import build_payload, summary_lines
from kcrashd.sinks.journal import SystemdJournal
from kcrashd.sinks.journal import journal_fields as fields_of
from tests.fixtures.journald import Journald
from tests.grouping.lab_store import lab_config, record_lab, stored

DOC = Path(__file__).resolve().parents[2] / "docs" / "journal-fields.md"
# Two real lab bugs with two fingerprints ("kill init": init exited / init killed by a signal)
# whose stacks share their top (do_exit, do_group_exit): one bug to a person, two keys to the
# fingerprint.  With only the first stored, they score 0.53.
FIRST, SECOND = "deb12-6.1_init-exit_run1", "deb13-6.12_init-signal_run1"
LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"


def expected_score() -> str:
    """The score the pure core gives the pair with only FIRST stored (the rarity the daemon sees)."""
    first, second = (stack_of(analyze((LAB / c / "vmcore-dmesg.txt").read_bytes())) for c in (FIRST, SECOND))
    return f"{similarity(second, first, frame_rarity([first])):.3f}"
NEW_FIELDS = ("KCRASHD_SIMILAR_FINGERPRINT", "KCRASHD_SIMILAR_SCORE", "KCRASHD_STRICT_FINGERPRINT")


def documented() -> set[str]:
    return {m.group(1) for m in re.finditer(r"^\| `([A-Z_]+)` \| (?:yes|no) \|", DOC.read_text(), re.M)}


@pytest.mark.journal
def test_new_fingerprint_names_the_nearest_bug(journald: Journald, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = record_lab(lab_config(tmp_path, threshold=0.5), [FIRST, SECOND], SystemdJournal())
    first = journald.wait_for(1, KCRASHD_CRASH_ID=lab.ids[FIRST])[0]
    second = journald.wait_for(1, KCRASHD_CRASH_ID=lab.ids[SECOND])[0]
    assert first["KCRASHD_NEW"] == "1" and "KCRASHD_SIMILAR_FINGERPRINT" not in first  # nothing stored before it
    assert second["KCRASHD_NEW"] == "1"
    assert second["KCRASHD_FINGERPRINT"] != first["KCRASHD_FINGERPRINT"]
    assert second["KCRASHD_SIMILAR_FINGERPRINT"] == first["KCRASHD_FINGERPRINT"]
    score = expected_score()
    assert score == "0.530"
    assert second["KCRASHD_SIMILAR_SCORE"] == score
    assert f"possibly the same bug as {first['KCRASHD_FINGERPRINT']} ({score})" in second["MESSAGE"]
    for entry in (first, second):
        assert re.fullmatch(PREFIX + r"s-[0-9a-f]{16}", entry["KCRASHD_STRICT_FINGERPRINT"])
        sent = {k for k in entry if k.startswith("KCRASHD_")}
        assert sent <= documented(), sorted(sent - documented())
    assert set(NEW_FIELDS) <= documented()
    # the page of the new fingerprint says it too
    rows = dict(summary_lines(build_payload(stored(lab.config, lab.ids[SECOND]))))
    assert rows["Similar"] == f"possibly the same bug as {first['KCRASHD_FINGERPRINT']} ({score})"
    # and `info --explain` shows it
    assert main(["info", "--state-dir", str(lab.config.state.state_dir), "--no-pager", "--explain", lab.folders[SECOND]]) == 0
    assert f"Similar:       when new, possibly the same bug as {first['KCRASHD_FINGERPRINT']} ({score})" in capsys.readouterr().out


def test_threshold_keeps_the_hint_out(tmp_path: Path) -> None:
    """At the default threshold (0.75) the same pair gives no hint; a recurring fingerprint never has one."""
    lab = record_lab(lab_config(tmp_path), [FIRST, SECOND, "deb12-6.1_init-exit_run2"])
    for case in (FIRST, SECOND, "deb12-6.1_init-exit_run2"):
        record = stored(lab.config, lab.ids[case])
        assert record.similar_fingerprint is None
        assert not {"KCRASHD_SIMILAR_FINGERPRINT", "KCRASHD_SIMILAR_SCORE"} & set(fields_of(record))


def test_recurring_fingerprint_has_no_hint(tmp_path: Path) -> None:
    lab = record_lab(lab_config(tmp_path, threshold=0.5), [FIRST, SECOND, "deb13-6.12_init-signal_run2"])
    second, again = stored(lab.config, lab.ids[SECOND]), stored(lab.config, lab.ids["deb13-6.12_init-signal_run2"])
    assert second.similar_fingerprint is not None
    assert again.report.fingerprint == second.report.fingerprint and not again.new_fingerprint
    assert again.similar_fingerprint is None
