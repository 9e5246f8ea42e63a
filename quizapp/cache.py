"""Short-lived cache of computed page data (live dashboards, public rankings).

`memory://` (the default) keeps values in the process: each gunicorn worker computes them once
per period. `redis://host:port/db` shares them between every worker and app server (needs the
`redis` package, which is not installed by default). Values are served stale while one
request per process rebuilds them, so that an expired entry of a large round never makes many
requests wait (or compute) at once."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from quizapp.ops import metrics

_MISSING = object()


class MemoryCache:
    """The cache of one process. Entries past their `keep` are dropped at the next `set`
    after `purge_every` seconds: keys that carry a computation's stamp (a ranking's board,
    a dashboard snapshot's) are never read again once replaced, and must not pile up over
    a week-long round."""

    def __init__(self, purge_every: float = 60.0) -> None:
        self._data: dict[str, tuple[float, float, Any]] = {}
        self._lock = threading.Lock()
        self.purge_every = purge_every
        self._next_purge = time.monotonic() + purge_every

    def get(self, key: str) -> tuple[Any, bool]:
        """(value or _MISSING, still fresh)."""
        with self._lock:
            hit = self._data.get(key)
        if hit is None:
            return _MISSING, False
        fresh_until, keep_until, value = hit
        now = time.monotonic()
        if now > keep_until:
            return _MISSING, False
        return value, now <= fresh_until

    def set(self, key: str, value: Any, ttl: float, keep: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._data[key] = (now + ttl, now + keep, value)
            if now >= self._next_purge:
                self._next_purge = now + self.purge_every
                for k in [k for k, (_f, until, _v) in self._data.items() if until < now]:
                    del self._data[k]

    def __len__(self) -> int:
        return len(self._data)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisCache:
    def __init__(self, url: str) -> None:
        import redis  # optional dependency: pip install redis

        self._redis = redis.Redis.from_url(url)

    # Freshness is a second key that Redis expires after `ttl`: the server's own clock
    # decides, the same for every app server (no wall-clock stamps compared across machines).
    def get(self, key: str) -> tuple[Any, bool]:
        raw, fresh = self._redis.mget([key, key + ":fresh"])
        if raw is None:
            return _MISSING, False
        return pickle.loads(raw), fresh is not None  # noqa: S301 - our own server's data

    def set(self, key: str, value: Any, ttl: float, keep: float) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._redis.pipeline() as pipe:
            pipe.set(key, payload, px=max(1, int(keep * 1000)))
            pipe.set(key + ":fresh", b"1", px=max(1, int(ttl * 1000)))
            pipe.execute()

    def delete(self, key: str) -> None:
        self._redis.delete(key, key + ":fresh")

    def clear(self) -> None:  # pragma: no cover - tests use the memory cache
        self._redis.flushdb()


def make_cache(url: str) -> MemoryCache | RedisCache:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    if url in ("", "memory://"):
        return MemoryCache()
    raise ValueError(f"unknown cache URL: {url!r} (memory:// or redis://…)")


def peek(cache, key: str) -> Any:
    """The cached value of `key` (fresh or stale), or None."""
    value, _fresh = cache.get(key)
    return None if value is _MISSING else value


_building: dict[str, threading.Lock] = {}
_building_lock = threading.Lock()


SLOW_BUILD = 10


def cached(cache, key: str, ttl: float, build: Callable[[], Any], *, keep: float = 0) -> Any:
    """The cached value of `key`, built by `build()` when missing. Once older than `ttl` s
    (longer for a slow build, see SLOW_BUILD) it is still served (up to `keep` s, default
    10 × the freshness) while one request of this process builds the new value."""
    value, fresh = cache.get(key)
    if value is not _MISSING and fresh:
        metrics.CACHE_LOOKUPS.labels("hit").inc()
        return value
    with _building_lock:
        lock = _building.setdefault(key, threading.Lock())
    if value is not _MISSING:  # stale: rebuild unless another thread already is
        if not lock.acquire(blocking=False):
            metrics.CACHE_LOOKUPS.labels("stale").inc()
            return value
    else:
        lock.acquire()  # missing: wait for whoever builds it, then look again
        again, fresh = cache.get(key)
        if again is not _MISSING and fresh:
            lock.release()
            metrics.CACHE_LOOKUPS.labels("hit").inc()
            return again
    metrics.CACHE_LOOKUPS.labels("miss").inc()
    try:
        started = time.perf_counter()
        value = build()
        # A value that takes long to build (the ranking of a national round: seconds) stays
        # fresh at least SLOW_BUILD × its build time, so rebuilding it never takes more than
        # a tenth of a thread.
        fresh = max(ttl, SLOW_BUILD * (time.perf_counter() - started))
        cache.set(key, value, fresh, max(keep or ttl * 10, fresh * 10))
        return value
    finally:
        lock.release()
