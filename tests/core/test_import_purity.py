"""`import kcrashd.core` stays pure: no systemd, requests, watchdog (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("systemd", "requests", "watchdog", "sqlite3", "urllib3", "http.client")


def test_core_imports_nothing_impure() -> None:
    code = "import json, sys; import kcrashd.core; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    bad = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, bad
