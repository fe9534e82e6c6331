"""The sources part: where crash folders come from, how they are read (docs/architecture.md)."""
