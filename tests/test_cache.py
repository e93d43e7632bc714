"""dashboard/cache.py: memoised data functions keyed on (function, store version, arguments)."""
import pytest

from dashboard import cache, catalogue, settings


@pytest.fixture
def disk_settings(tmp_path, built_store):
    previous = settings.current()
    settings.use(settings.Settings(data_dir=built_store, cache_dir=tmp_path / "cache", secret_key="t"))
    yield tmp_path / "cache"
    settings.use(previous)


def test_value_is_computed_once_then_read_from_diskcache(disk_settings):
    calls = []

    @cache.memoize()
    def double(x, factor=2):
        calls.append(x)
        return {"value": x * factor}

    assert double(3) == {"value": 6}
    assert double(3) == {"value": 6}
    assert double(3, factor=3) == {"value": 9}
    assert calls == [3, 3]
    assert (disk_settings / "data").is_dir()


def test_key_follows_the_store_version_not_its_identity(disk_settings, store_data):
    key = catalogue.describe.cache_key(store_data)
    assert store_data.version in cache._part(store_data)
    assert key == catalogue.describe.cache_key(store_data)
    assert key != catalogue.describe.cache_key(store_data, "R11")
    assert key.startswith(cache.PREFIX + "dashboard.catalogue.describe:")


def test_describe_is_served_from_the_cache(disk_settings, store_data, monkeypatch):
    first = catalogue.describe(store_data, "R84")

    def must_not_run(*_a, **_k):
        raise AssertionError("recalculé")

    monkeypatch.setattr(catalogue.describe, "compute", must_not_run)
    assert catalogue.describe(store_data, "R84") == first


def test_unhashable_arguments_are_refused(disk_settings):
    @cache.memoize()
    def f(x):
        return x

    with pytest.raises(TypeError, match="memoize"):
        f(object())


def test_redis_down_means_computed_not_failed(tmp_path, built_store):
    previous = settings.current()
    settings.use(settings.Settings(data_dir=built_store, redis_url="redis://127.0.0.1:1/0", secret_key="t"))
    try:
        @cache.memoize()
        def g(x):
            return x + 1

        assert g(1) == 2
    finally:
        settings.use(previous)


# ---- per_version: the in-process tier ------------------------------------------------------------------

def _small_store(version: str, value: float):
    import pandas as pd

    from dashboard import store

    obs = pd.DataFrame([{"indicator": "x", "territory": "R84", "period": "2023Q4", "value": value,
                         "status": "observed", "source": "test", "note": ""}])
    return store.from_frames(pd.DataFrame(columns=["code"]), pd.DataFrame(columns=["id"]), pd.DataFrame(), obs,
                             version=version)


def test_per_version_keeps_no_old_store_alive_and_stays_bounded():
    import gc
    import weakref

    @cache.per_version(maxsize=2)
    def total(data):
        return float(data.observations["value"].sum())

    first = _small_store("v1", 1.0)
    gone = weakref.ref(first)
    assert total(first) == 1.0
    del first
    gc.collect()
    assert gone() is None                    # lru_cache held the Store (a whole version's frames) alive
    for i in range(5):
        assert total(_small_store(f"v{i + 2}", i)) == i
    assert total.cache_len() == 2


def test_per_version_tells_two_stores_of_one_version_apart():
    @cache.per_version(maxsize=8)
    def total(data):
        return float(data.observations["value"].sum())

    a, b = _small_store("même", 1.0), _small_store("même", 2.0)     # a preview beside the store it overlays
    assert (total(a), total(b), total(a)) == (1.0, 2.0, 1.0)


def test_a_child_forked_while_a_lock_is_held_does_not_hang():
    """gunicorn --preload / a Celery child: a thread of the parent held the cache lock at the fork."""
    import os
    import select

    @cache.per_version(maxsize=2)
    def total(data):
        return float(data.observations["value"].sum())

    data = _small_store("fourche", 3.0)
    lock = total.cache.lock
    read_end, write_end = os.pipe()
    from dashboard import mapping

    with lock, cache._LOCK, mapping._META.lock:           # the map's per-version structures too
        pid = os.fork()
        if pid == 0:                                        # the child: both locks held by a parent's thread
            try:
                ok = (total(data) == 3.0 and total(data) == 3.0 and cache.store_key(_small_store("c", 1))
                      and mapping._memo(data, ("essai",), lambda: 7) == 7)
                os.write(write_end, b"ok" if ok else b"ko")
            finally:
                os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)     # waits for the child's answer, up to a deadline
    if not ready:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    answer = os.read(read_end, 2) if ready else b""
    os.close(read_end)
    assert answer == b"ok", "le processus enfant est resté bloqué sur un verrou hérité"
