"""flaskstack's sample app: a JSON endpoint, a health URL, a template page, a static file,
and orders that clients POST, each stored once."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
from contextlib import closing
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask_caching import Cache

__version__ = "1.0.0"

DEFAULT_CONFIG: dict[str, Any] = {
    "APP_NAME": "flaskstack-sample",
    "GREETING": "Hello from flaskstack",
    # Where the orders are stored (SQLite): SAMPLE_DATA_DIR, or the app's instance folder.
    "DATA_DIR": None,
    # Flask-Caching: each worker's own memory unless told (SAMPLE_CACHE_TYPE); under uWSGI,
    # flaskstack_sample.uwsgicache.UWSGICache shares uWSGI's cache SAMPLE_CACHE_UWSGI_NAME.
    "CACHE_TYPE": "SimpleCache",
}

cache = Cache()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; settings come from SAMPLE_* environment variables, then `config`."""
    app = Flask(__name__)
    app.config.update(DEFAULT_CONFIG)
    app.config.from_prefixed_env("SAMPLE")
    if config:
        app.config.update(config)
    cache.init_app(app)

    @app.get("/")
    def index() -> Any:
        return jsonify(
            app=app.config["APP_NAME"],
            version=__version__,
            greeting=app.config["GREETING"],
            python=platform.python_version(),
            pid=os.getpid(),
            host=socket.gethostname(),
            # The id nginx logged this request under (X-Request-ID), to find it in its logs.
            request_id=request.headers.get("X-Request-ID"),
        )

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/page")
    def page() -> str:
        return render_template(
            "page.html",
            app_name=app.config["APP_NAME"],
            greeting=app.config["GREETING"],
            version=__version__,
        )

    def orders() -> sqlite3.Connection:
        data_dir = app.config["DATA_DIR"] or app.instance_path
        os.makedirs(data_dir, exist_ok=True)
        db = sqlite3.connect(os.path.join(data_dir, "orders.sqlite"), timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, host TEXT NOT NULL)")
        return db

    @app.post("/orders")
    def create_order() -> Any:
        """Store the order the client names ({"id": ...}); 201 once it is stored, 409 if it
        was stored before: a client told 201 can count on it, and nothing is stored twice."""
        order = request.get_json(silent=True) or {}
        order_id = order.get("id")
        if not isinstance(order_id, str) or not 0 < len(order_id) <= 100:
            abort(400, description='send {"id": "..."}, a string of 1 to 100 characters')
        host = socket.gethostname()
        with closing(orders()) as db:
            try:
                db.execute("INSERT INTO orders (id, host) VALUES (?, ?)", (order_id, host))
            except sqlite3.IntegrityError:
                return jsonify(id=order_id, host=host, stored="before"), 409
        return jsonify(id=order_id, host=host, stored="now"), 201

    @app.get("/cache")
    def cached() -> Any:
        """The pid of the first worker that answered here since the cache was made: with a
        cache the workers share, every worker names the same one."""
        cache.add("first_pid", os.getpid(), timeout=0)
        return jsonify(pid=os.getpid(), first_pid=cache.get("first_pid"), backend=type(cache.cache).__name__)

    @app.get("/orders")
    def list_orders() -> Any:
        with closing(orders()) as db:
            rows = db.execute("SELECT id FROM orders ORDER BY id").fetchall()
        return jsonify(host=socket.gethostname(), ids=[row[0] for row in rows])

    return app
