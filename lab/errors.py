"""Errors of the crash lab."""


class LabUnavailable(RuntimeError):
    """The lab cannot run on this machine; the message says why, in one line."""
