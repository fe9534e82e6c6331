"""Pure triage core: kernel log bytes in, a classified, fingerprinted report out.

No file, network or journal I/O happens here; only the standard library and pydantic are imported.
The analyser and the report model are loaded on first use: the daemon only needs the report model
(its triage runs in worker processes), and its idle memory should not hold the signature tables;
`analyze_json` (kcrashd analyze) needs no report model, so no pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kcrashd.core.frames import clear_caches
    from kcrashd.core.model import Report
    from kcrashd.core.triage import analyze, analyze_json, has_crash

_LAZY = {
    "Report": "kcrashd.core.model",
    "analyze": "kcrashd.core.triage",
    "analyze_json": "kcrashd.core.triage",
    "has_crash": "kcrashd.core.triage",
    "clear_caches": "kcrashd.core.frames",
}

__all__ = ["Report", "analyze", "analyze_json", "clear_caches", "has_crash"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
