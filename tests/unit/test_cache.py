"""The process cache: stale-while-rebuilding, slow builds kept fresh longer, and entries
past their keep dropped so that per-computation keys do not pile up."""

import time

from quizapp.cache import SLOW_BUILD, MemoryCache, cached, peek


def test_a_slow_build_stays_fresh_longer():
    cache, builds = MemoryCache(), []

    def slow():
        builds.append(1)
        time.sleep(0.02)
        return len(builds)

    def fast():
        builds.append(1)
        return len(builds)

    assert cached(cache, "slow", 0.001, slow) == 1
    time.sleep(0.005)  # past the 1 ms asked for, within 10 × 20 ms
    assert cached(cache, "slow", 0.001, slow) == 1 and len(builds) == 1
    builds.clear()
    assert cached(cache, "fast", 0.001, fast) == 1
    time.sleep(0.005)  # a build of microseconds gets the 1 ms asked for: rebuilt
    assert cached(cache, "fast", 0.001, fast) == 2
    assert SLOW_BUILD == 10


def test_a_stale_value_is_served_while_rebuilt_and_missing_after_keep():
    cache = MemoryCache()
    cache.set("k", "old", ttl=0.001, keep=0.05)
    time.sleep(0.005)
    assert cache.get("k") == ("old", False) and peek(cache, "k") == "old"
    time.sleep(0.05)
    assert peek(cache, "k") is None


def test_entries_past_their_keep_are_dropped():
    cache = MemoryCache(purge_every=0.01)
    for i in range(100):  # e.g. a ranking board per computation
        cache.set(f"board:{i}", "x" * 1000, ttl=0.001, keep=0.002)
    cache.set("live", 1, ttl=60, keep=600)
    time.sleep(0.02)
    cache.set("next", 2, ttl=60, keep=600)  # the first set after purge_every purges
    assert len(cache) == 2 and peek(cache, "live") == 1
