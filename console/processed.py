"""The processed requests: every online booking that left the inbox, newest first, a page at
a time, searchable by name, email or phone number and filterable by date, status and branch."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from clock import utcnow
from console.blueprint import bp
from console.common import id_value, practice
from console.render import render
from core import inbox as requests_inbox
from core import numbers, url_dates
from core.reminders import local_day
from extensions import db

MAX_SEARCH = 100
FILTERS = ("q", "from", "to", "status", "branch")  # what the pager's links carry on


def _day(name: str, errors: dict):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return url_dates.parse_day(raw, local_day(practice(), utcnow()))
    except ValueError:
        errors[name] = _("Please enter a date like 2026-11-23.")
        return None


def processed_context() -> dict:
    p, errors = practice(), {}
    search = requests_inbox.Search(
        text=request.args.get("q", "")[:MAX_SEARCH],
        day_from=_day("from", errors),
        day_to=_day("to", errors),
        status_id=id_value(request.args, "status"),
        branch_id=id_value(request.args, "branch"),
        page=numbers.parse_count(request.args.get("page"), 1),
    )
    result = requests_inbox.processed(db.session, p, search)
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return {"practice": p, "search": search, "result": result, "filters": filters, "errors": errors}


@bp.get("/processed")
def processed():
    return render("console/processed.html", **processed_context())
