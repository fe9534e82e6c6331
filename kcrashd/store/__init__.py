"""The store part: the state database and every statement run on it (docs/architecture.md)."""
