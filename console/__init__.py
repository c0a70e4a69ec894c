"""The staff console: HTMX over server-rendered pages, login required."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from console import auth, coordination, outage, reminders, views  # noqa: E402,F401  (routes attach to bp)
