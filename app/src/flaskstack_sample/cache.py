"""Flask-Caching's uWSGI backend: uWSGI's own cache (cache2), shared by the app's workers.

Flask-Caching 2 no longer ships it; cachelib, which it builds on, keeps the cache itself.
This is the backend as Flask-Caching 1 had it. Use it with

    CACHE_TYPE = "flaskstack_sample.cache.UWSGICache"
    CACHE_UWSGI_NAME = "sample"   # the vassal's cache2 name (flaskapp's `cache` names it after the app)

It works under uWSGI only (it imports the `uwsgi` module uWSGI provides).
"""

from __future__ import annotations

from typing import Any

from cachelib import UWSGICache as CachelibUWSGICache
from flask import Flask
from flask_caching.backends.base import BaseCache


class UWSGICache(BaseCache, CachelibUWSGICache):
    def __init__(self, default_timeout: int = 300, cache: str = "") -> None:
        BaseCache.__init__(self, default_timeout=default_timeout)
        CachelibUWSGICache.__init__(self, default_timeout=default_timeout, cache=cache)

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> UWSGICache:
        return cls(
            *args,
            default_timeout=kwargs.get("default_timeout", 300),
            cache=config.get("CACHE_UWSGI_NAME", ""),
        )
