"""docs/report-schema.md lists exactly the signature table of kcrashd/core/signatures.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "schema_table.py"


def test_signature_table_in_the_document_is_current() -> None:
    spec = importlib.util.spec_from_file_location("schema_table", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = module.DOC.read_text()
    assert module.replace(doc) == doc, "run: .venv/bin/python bench/schema_table.py --write"
