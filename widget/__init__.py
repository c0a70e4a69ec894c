"""The customer-facing booking widget: server-rendered HTML, no JavaScript, no cookies."""

from flask import Blueprint

bp = Blueprint("widget", __name__, url_prefix="/w")

from widget import cancel, views  # noqa: E402,F401  (routes attach to bp)
