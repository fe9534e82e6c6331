"""A package whose `__init__` runs at the first name asked of it, not at its import (idle memory).

prometheus-client's `__init__` imports every part of the package, among them its exposition
module, which imports `ssl`, `urllib.request`, `wsgiref`, `http.server` and `gzip` at module level
(OpenSSL's libssl and libcrypto alone are about 3.5 MiB of RSS, bench/fleet.py). The daemon needs
only the registry, the metric families and the OpenMetrics exposition. `defer("prometheus_client")`
puts the package in `sys.modules` without running its `__init__`: its submodules import as usual
(`import prometheus_client.registry`), and the `__init__` runs at the first name asked of the
package itself (`from prometheus_client import generate_latest`), in whichever thread asks;
threads that ask meanwhile wait for it (`importlib.util.LazyLoader` has no such lock before
Python 3.12).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types

LOADING = threading.RLock()  # one module's code runs once, whichever threads ask for it
RUNNING: set[str] = set()  # modules whose code is running (in the thread that holds LOADING)


class DeferredModule(types.ModuleType):
    """A module whose code has not run yet: the first name it does not have runs it."""

    def __getattr__(self, name: str) -> object:
        spec = self.__spec__
        assert spec is not None and spec.loader is not None
        with LOADING:
            if type(self) is DeferredModule and spec.name not in RUNNING:
                RUNNING.add(spec.name)  # the module's own code asking for a name it has not set yet
                try:
                    spec.loader.exec_module(self)
                    object.__setattr__(self, "__class__", types.ModuleType)  # loaded: a plain module now
                finally:
                    RUNNING.discard(spec.name)
        return types.ModuleType.__getattribute__(self, name)


def defer(name: str) -> bool:
    """Make `import name` cheap until the module is used; False when it is loaded already
    (or cannot be found, which its real import will report)."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    module.__class__ = DeferredModule
    sys.modules[name] = module
    return True


def deferred(name: str) -> bool:
    """True while `name` is imported but its code has not run."""
    return type(sys.modules.get(name)) is DeferredModule

