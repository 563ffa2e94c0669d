"""Flask-Caching's uWSGI backend: uWSGI's own cache (cache2), shared by the app's workers.

Flask-Caching 2 no longer ships it; cachelib, which it builds on, keeps the cache itself.
This is the backend as Flask-Caching 1 had it. Use it with

    CACHE_TYPE = "flaskstack_sample.uwsgicache.UWSGICache"
    CACHE_UWSGI_NAME = "sample"   # the vassal's cache2 name (flaskapp's `cache` names it after the app)

Outside uWSGI (flaskstack's import check of a release before it goes live, a shell, the
tests) there is no `uwsgi` module: the factory gives each process its own SimpleCache then.
"""

from __future__ import annotations

from typing import Any

from cachelib import UWSGICache as CachelibUWSGICache
from flask import Flask
from flask_caching.backends.base import BaseCache
from flask_caching.backends.simplecache import SimpleCache


class UWSGICache(BaseCache, CachelibUWSGICache):
    def __init__(self, default_timeout: int = 300, cache: str = "") -> None:
        BaseCache.__init__(self, default_timeout=default_timeout)
        CachelibUWSGICache.__init__(self, default_timeout=default_timeout, cache=cache)

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> BaseCache:
        timeout = kwargs.get("default_timeout", 300)
        try:
            import uwsgi  # noqa: F401 (only uWSGI provides it)
        except ImportError:
            return SimpleCache(default_timeout=timeout)
        return cls(*args, default_timeout=timeout, cache=config.get("CACHE_UWSGI_NAME", ""))
