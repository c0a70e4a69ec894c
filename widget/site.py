"""The site's root: the development homepage (a pretend practice website that embeds the
widget), the neutral `/favicon.ico` every page's browser asks for, and `/robots.txt`."""

from flask import Blueprint, abort, current_app, render_template, send_from_directory

bp = Blueprint("site", __name__)

# Entry pages may be indexed; free-time pages and forms change by the minute and are endless.
# Token pages (done, cancel, confirm, reschedule, waitlist, offer) stay crawlable so that
# their `noindex` is seen.
ROBOTS = """User-agent: *
Disallow: /console/
Disallow: /w/*/where
Disallow: /w/*/week
Disallow: /w/*/book
"""


@bp.get("/")
def home():
    if not current_app.config["DEMO_HOMEPAGE"]:
        abort(404)
    return render_template("site/home.html", slug="demo")


@bp.get("/favicon.ico")
def favicon():
    """A neutral calendar icon: no practice sets its own, and a missing icon is an error
    in every browser's console."""
    response = send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/robots.txt")
def robots():
    return ROBOTS, 200, {"Content-Type": "text/plain; charset=utf-8"}
