"""Sender: not yet implemented."""
