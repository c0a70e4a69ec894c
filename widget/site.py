"""The development homepage: a pretend practice website that embeds the widget."""

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    if not current_app.config["DEMO_HOMEPAGE"]:
        abort(404)
    return render_template("site/home.html", slug="demo")
