from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for

from .auth import login_required
from .db import get_db

bp = Blueprint("blog", __name__)

POSTS = "SELECT p.id, title, body, created, author_id, username FROM post p JOIN user u ON p.author_id = u.id"


@bp.route("/")
def index():
    posts = get_db().execute(POSTS + " ORDER BY created DESC").fetchall()
    return render_template("blog/index.html", posts=posts)


@bp.route("/posts.json")
def posts_json():
    posts = get_db().execute(POSTS + " ORDER BY p.id").fetchall()
    return jsonify(
        [{"id": p["id"], "title": p["title"], "body": p["body"], "author": p["username"]} for p in posts]
    )


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create():
    if request.method == "POST":
        title = request.form["title"]
        body = request.form["body"]
        if not title:
            flash("Title is required.")
        else:
            db = get_db()
            db.execute(
                "INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)", (title, body, g.user["id"])
            )
            db.commit()
            return redirect(url_for("blog.index"))
    return render_template("blog/create.html")
