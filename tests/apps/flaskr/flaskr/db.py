import sqlite3

import click
from flask import current_app, g


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(e=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db():
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))


@click.command("init-db")
@click.option("--if-empty", is_flag=True, help="Only create the tables when there are none.")
def init_db_command(if_empty):
    """Clear the existing data and create new tables (with --if-empty: keep any data)."""
    if if_empty:
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'user'"
        found = get_db().execute(tables).fetchone()
        if found is not None:
            click.echo("The database has its tables: kept.")
            return
    init_db()
    click.echo("Initialized the database.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
