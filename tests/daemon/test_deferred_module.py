"""kcrashd.daemon.deferred_module: a package imported without running its __init__ until a name of it is
asked for, then run once whichever threads ask (each case in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys, threading
sys.path.insert(0, sys.argv[1])
from kcrashd.daemon.deferred_module import defer, deferred
assert defer("prometheus_client") and not defer("prometheus_client")
from prometheus_client.registry import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest
print("init run:", "prometheus_client.exposition" in sys.modules or "_ssl" in sys.modules, deferred("prometheus_client"))
import prometheus_client
barrier = threading.Barrier(8)
seen = []
def ask():
    barrier.wait()
    seen.append(prometheus_client.Counter)
threads = [threading.Thread(target=ask) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("asked:", len(seen), len(set(map(id, seen))), deferred("prometheus_client"), type(prometheus_client).__name__)
print("missing:", hasattr(prometheus_client, "no_such_name"))
"""


def test_submodules_import_without_the_package_init_which_runs_once_when_asked() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, str(REPO)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["init run: False True", "asked: 8 1 False module", "missing: False"]
