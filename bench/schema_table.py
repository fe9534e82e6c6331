#!/usr/bin/env python3
"""Print the signature table of docs/report-schema.md from kcrashd/core/signatures.py.

    .venv/bin/python bench/schema_table.py          # print
    .venv/bin/python bench/schema_table.py --write  # replace the table in docs/report-schema.md
tests/core/test_schema_doc.py checks that the document and the table agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "report-schema.md"
BEGIN = "| signature | kind | header | title | culprit | severity |"


def table() -> str:
    sys.path.insert(0, str(ROOT))
    from kcrashd.core.signatures import SIGNATURES, Strategy, headers_of

    rows = [BEGIN, "|---|---|---|---|---|---|"]
    for sig in SIGNATURES:
        title = sig.title
        if sig.classes:
            title += " (`{C}`: " + ", ".join(f"{k} → {v}" for k, v in sig.classes) + ")"
        how = sig.strategy.value if sig.strategy not in (Strategy.PARTS, Strategy.LOCKED_CPU) else " / ".join(
            " → ".join(p.value for p in parts) for parts in sig.stack
        )
        if sig.strategy is Strategy.LOCKED_CPU:
            how = f"{sig.strategy.value}: {how}"
        headers = " ".join(f"`{h}`" for h in headers_of(sig))
        rows.append(f"| `{sig.name}` | `{sig.kind}` | {headers} | `{title}` | {how} | {sig.severity.value} |")
    return "\n".join(rows) + "\n"


def replace(doc: str) -> str:
    start = doc.index(BEGIN)
    end = doc.find("\n\n", start)
    end = len(doc) if end < 0 else end + 1
    return doc[:start] + table() + doc[end:]


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(replace(DOC.read_text()))
    else:
        print(table(), end="")
