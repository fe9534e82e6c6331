"""The core's report record and its JSON (core/report_record.py) against the report model, the
schema's owner: the record's fields are the model's, in its order, with its defaults, and the
JSON `analyze_json` writes without pydantic is byte for byte the model's for every corpus log."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.core import analyze, analyze_json
from kcrashd.core.model import Report
from kcrashd.core.report_parts import Module, Severity, Taint, Unread
from kcrashd.core.report_record import BLANK, record_json, report_record

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOT_LOGS = {".json", ".jsonl", ".md", ".tsv", ".py"}


def corpus_logs() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in NOT_LOGS and not p.name.startswith("LICENSE"))


def test_blank_record_is_the_models_default_report() -> None:
    assert list(BLANK) == list(Report.model_fields)
    assert record_json(dict(BLANK)) == Report().model_dump_json()
    assert Report.model_validate(dict(BLANK)) == Report()


def test_a_record_written_by_hand_is_the_models_json() -> None:
    record = report_record(
        source="tty\x01 é \u2028 \"q\" \\",
        kind="oops",
        severity=Severity.CRITICAL,
        pid=7,
        taint=Taint(letters="WO", flags=["a", "b"]),
        modules=[Module(name="m", flags="OE")],
        frames=[{"function": "f", "offset": "0x1/0x2", "module": None, "reliable": False, "context": None}],
        preceding=[{"title": "t", "kind": "warning", "function": None, "line": 3}],
        unread=[Unread(start=1, end=9, reason="flood"), Unread(first_line=2, last_line=4, reason="r")],
    )
    assert record_json(record) == Report.model_validate(record).model_dump_json()


def test_a_record_with_anything_but_report_parts_is_refused() -> None:
    with pytest.raises(TypeError):
        record_json(report_record(taint=object()))


def test_every_corpus_log_writes_the_models_json() -> None:
    logs = corpus_logs()
    assert len(logs) > 1000
    differ = []
    for path in logs:
        data = path.read_bytes()
        if analyze_json(data, source=str(path)) != analyze(data, source=str(path)).model_dump_json():
            differ.append(str(path.relative_to(CORPUS)))
    assert not differ, differ[:10]
