"""The daemon part: wiring and scheduling (docs/architecture.md)."""
