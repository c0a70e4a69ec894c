"""The staff console: HTMX over server-rendered pages, login required."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

# Page modules attach their routes to bp; console.common adds the guards and filters.
from console import (  # noqa: E402,F401
    auth,
    calendar,
    common,
    coordination,
    customers,
    inbox,
    outbox,
    reminders,
    requests,
    settings,
)
