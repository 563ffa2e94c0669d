"""flaskstack's sample app: a JSON endpoint, a health URL, a template page and a static file."""

from __future__ import annotations

import os
import platform
from typing import Any

from flask import Flask, jsonify, render_template

__version__ = "1.0.0"

DEFAULT_CONFIG: dict[str, Any] = {
    "APP_NAME": "flaskstack-sample",
    "GREETING": "Hello from flaskstack",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; settings come from SAMPLE_* environment variables, then `config`."""
    app = Flask(__name__)
    app.config.update(DEFAULT_CONFIG)
    app.config.from_prefixed_env("SAMPLE")
    if config:
        app.config.update(config)

    @app.get("/")
    def index() -> Any:
        return jsonify(
            app=app.config["APP_NAME"],
            version=__version__,
            greeting=app.config["GREETING"],
            python=platform.python_version(),
            pid=os.getpid(),
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

    return app
