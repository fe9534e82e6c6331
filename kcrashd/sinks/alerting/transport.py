"""The HTTP adapter of every alert session: each connection a request takes from a pool is
attached to that request's Cutoff, so the total deadline can shut it down (kcrashd.sinks.alerting.cutoff).

Imported with requests, by the first session: a daemon with nothing to deliver never loads it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool

from kcrashd.sinks.alerting.cutoff import SocketHolder, current

READ_CHUNK = 8192  # bytes per read of a response body; compressed data expands at most ~1000-fold


class CutPool(HTTPConnectionPool):
    """Mixed into each pool class: hands every connection it gives out to the current Cutoff."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        cutoff = current()
        if cutoff is not None:
            cutoff.attach(cast(SocketHolder, conn))  # urllib3's connections carry .sock
        return conn


@cache
def cutting(pool_class: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    """`pool_class` with CutPool in front of it (plain, TLS or SOCKS pools alike)."""
    if issubclass(pool_class, CutPool):
        return pool_class
    return type(f"Cut{pool_class.__name__}", (CutPool, pool_class), {})


def hook(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {
        scheme: cutting(cls) for scheme, cls in manager.pool_classes_by_scheme.items()
    }
    return manager


class CutoffAdapter(HTTPAdapter):
    """requests' adapter, no retries, with pools whose connections a Cutoff can reach."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        hook(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        return hook(super().proxy_manager_for(proxy, **kwargs))


def read_capped(raw: Any, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of a streamed body, and whether there was more (never read)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = raw.read(min(READ_CHUNK, limit + 1 - size), decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:limit], size > limit
