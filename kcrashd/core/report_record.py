"""A report as the core builds it: a record (field name -> plain value) in the report model's
field order, and its JSON written exactly as the model writes it, without pydantic (analysing a
log and printing its JSON is `kcrashd analyze`'s whole cost: docs/performance.md).

The report model (core/model.py) owns the schema. `BLANK` restates its fields' order and
defaults so that a record can be written without the model; tests/core/test_report_record.py
checks that BLANK is the model's default report, and that every corpus log's record written here
is, byte for byte, the model's `model_dump_json()` of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import is_dataclass
from typing import Final

from kcrashd.core.report_parts import Severity, Taint

Record = dict[str, object]

# Report's fields in its order, with its defaults (tuples: a record shares them, nobody changes them).
BLANK: Final[Mapping[str, object]] = {
    "source": "",
    "title": "",
    "alt_titles": (),
    "kind": "none",
    "severity": Severity.INFO,
    "function": None,
    "fingerprint": "",
    "fingerprint_version": 1,
    "fingerprint_aliases": (),
    "strict_fingerprint": "",
    "corrupted": False,
    "corrupted_reason": None,
    "panicked": False,
    "panic_message": None,
    "kernel_release": None,
    "arch": None,
    "hardware": None,
    "comm": None,
    "pid": None,
    "cpu": None,
    "taint": Taint(),
    "modules": (),
    "ip": None,
    "frames": (),
    "preceding": (),
    "excerpt": (),
    "error": None,
    "signature": None,
    "crash_type": "",
    "unread": (),
    "operator_rules": (),
}


def report_record(**fields: object) -> Record:
    """A record with these fields, the others at their defaults, in the model's order."""
    return {**BLANK, **fields}


def _fields(part: object) -> dict[str, object]:
    """A report part (core/report_parts.py, a dataclass) as its fields, in their order."""
    if not is_dataclass(part):
        raise TypeError(f"not a report part: {type(part).__name__}")
    return dict(part.__dict__)


# As pydantic writes a model: no spaces, non-ASCII as UTF-8, control characters as \uXXXX.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=_fields)


def record_json(record: Record) -> str:
    """The record's JSON, as `Report.model_validate(record).model_dump_json()` gives it."""
    return _ENCODER.encode(record)
