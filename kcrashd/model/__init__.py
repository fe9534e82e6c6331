"""The model part: a crash as the shell knows it, the key of a bug (docs/architecture.md)."""
