"""Suite-wide test settings; fixtures of real services live in tests/fixtures/ and are loaded
by the conftest of the test folders that use them."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci")
