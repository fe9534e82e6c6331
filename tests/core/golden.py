"""The golden corpus: every log under tests/corpus with its `.expected.json` beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcrashd.core import Report

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FIELDS = ("title", "alt_titles", "kind", "function", "fingerprint", "corrupted", "corrupted_reason", "signature",
          "crash_type", "severity")


@dataclass(frozen=True)
class Case:
    """One golden case: where its log is, how to read it, where its expectation lives."""

    name: str
    log: Path
    expected: Path
    offset: int = 0
    end: int | None = None

    def data(self) -> bytes:
        raw = self.log.read_bytes()
        return raw[self.offset : self.end].replace(b"\r", b"") if self.end is not None else raw


def golden_cases() -> list[Case]:
    cases: list[Case] = []
    syz = CORPUS / "syzkaller"
    for line in (syz / "index.jsonl").read_text().splitlines():
        c = json.loads(line)
        log = syz / c["file"]
        cases.append(Case(f"syzkaller/{c['id']}", log, log.with_name(log.name + ".expected.json"),
                          c["log_offset"], c["log_end_offset"]))
    for folder in ("seed", "edge"):
        for log in sorted((CORPUS / folder).glob("*.log")):
            cases.append(Case(f"{folder}/{log.stem}", log, log.with_suffix(".expected.json")))
    lab = CORPUS / "lab"
    if lab.is_dir():
        for log in sorted(lab.glob("*/*")):
            if log.name in ("console.log", "vmcore-dmesg.txt"):
                cases.append(Case(f"lab/{log.parent.name}/{log.name}", log, log.with_name(log.name + ".expected.json")))
    return cases


def expectation(report: Report) -> dict[str, Any]:
    dumped = report.model_dump(mode="json")
    return {k: dumped[k] for k in FIELDS}
