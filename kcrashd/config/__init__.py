"""The settings part: the configuration models, importing nothing that runs (docs/architecture.md)."""
