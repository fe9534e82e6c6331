"""Pure triage core: kernel log bytes in, a classified, fingerprinted report out.

No file, network or journal I/O happens here; only the standard library and pydantic are imported.
"""
