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
