"""A blog in the shape of Flask's tutorial project (flaskr)."""

import hashlib
import os

from flask import Flask, jsonify

__version__ = "1.0.0"


def create_app(test_config=None):
    """Create and configure the app, as the tutorial's factory does."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )
    if test_config is None:
        # The instance config, when it exists, overrides the defaults (SECRET_KEY).
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)

    @app.route("/about")
    def about():
        key = app.config["SECRET_KEY"].encode()
        return jsonify(
            app="flaskr",
            version=__version__,
            instance_path=app.instance_path,
            secret_key_sha256=hashlib.sha256(key).hexdigest(),
        )

    from . import auth, blog, db

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)
    app.add_url_rule("/", endpoint="index")

    return app
