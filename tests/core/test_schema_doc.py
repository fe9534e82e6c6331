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


def test_every_report_field_is_documented() -> None:
    from kcrashd.core.model import Report

    doc = (BENCH.parents[1] / "docs" / "report-schema.md").read_text()
    table = doc[doc.index("## Fields") : doc.index("## Which report is the crash")]
    missing = [name for name in Report.model_fields if f"`{name}`" not in table]
    assert not missing, f"docs/report-schema.md: fields not in the table: {missing}"
