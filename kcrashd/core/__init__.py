"""Pure triage core: kernel log bytes in, a classified, fingerprinted report out.

No file, network or journal I/O happens here; only the standard library and pydantic are imported.
The analyser is loaded on first use: the daemon only needs the report model (its triage runs in
worker processes), and its idle memory should not hold the signature tables.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kcrashd.core.model import Report

if TYPE_CHECKING:
    from kcrashd.core.frames import clear_caches
    from kcrashd.core.triage import analyze, has_crash

_LAZY = {"analyze": "kcrashd.core.triage", "has_crash": "kcrashd.core.triage", "clear_caches": "kcrashd.core.frames"}

__all__ = ["Report", "analyze", "clear_caches", "has_crash"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
