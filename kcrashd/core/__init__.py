"""Pure triage core: kernel log bytes in, a classified, fingerprinted report out.

No file, network or journal I/O happens here; only the standard library and pydantic are imported.
"""

from kcrashd.core.frames import clear_caches
from kcrashd.core.model import Report
from kcrashd.core.triage import analyze, has_crash

__all__ = ["Report", "analyze", "clear_caches", "has_crash"]
