"""The triage part: the core run on a log in worker processes (docs/architecture.md)."""
