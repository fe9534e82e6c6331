"""kcrashd: automatic triage of Linux kernel crash dumps."""

__version__ = "0.1.0"
