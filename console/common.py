"""What every console page shares: the login guard, the tenancy lookups (`practice`, `get`,
`id_value`), the admin guard, the template filters and the layout's globals.

Page modules import from here; the room for a new page is a new module beside them.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

import phonenumbers
from flask import abort, current_app, request, url_for
from flask_babel import format_timedelta
from flask_login import current_user
from werkzeug.exceptions import NotFound

from clock import utcnow
from console.blueprint import bp
from console.history import note_text
from console.polling import unchanged_poll
from console.render import whole_page_redirect
from core import audit, numbers, triage
from core import inbox as requests_inbox
from core.models import Practice, StatusChange, StatusKind
from extensions import db
from notifications.queueing import worker_alive


@bp.before_request
def _needs_login():
    """Every console route but the login page needs a logged-in staff member. An unchanged
    poll is answered first, from the signed session alone: loading the user costs a query."""
    if (unchanged := unchanged_poll()) is not None:
        return unchanged
    if request.endpoint != "console.login" and not current_user.is_authenticated:
        return whole_page_redirect(url_for("console.login")) or (
            current_app.login_manager.unauthorized()
        )
    return None


@bp.before_request
def _name_the_actor():
    """Whatever this request changes is audited as the logged-in staff member's doing."""
    if current_user.is_authenticated:
        audit.act_as(
            db.session,
            practice_id=current_user.practice_id,
            user_id=current_user.user.id,
            now=utcnow(),
        )


@bp.errorhandler(triage.NotFound)
def _not_found(_error):
    """Another practice's id looks exactly like an id that does not exist."""
    return NotFound()


def id_value(values, name: str) -> int | None:
    """A positive database id from a form or query string, or None (never an overflow)."""
    return numbers.parse_id(values.get(name, ""))


def practice() -> Practice:
    return db.session.get(Practice, current_user.practice_id)


def chosen_branch(p: Practice):
    """The branch `?branch=` names, else the practice's first (pages shown per branch)."""
    branch_id = id_value(request.args, "branch")
    return next((b for b in p.branches if b.id == branch_id), p.branches[0] if p.branches else None)


def get(model, row_id: int):
    """A row of the logged-in user's practice, or 404."""
    return triage.owned(db.session, model, row_id, current_user.practice_id)


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.app_template_filter("local")
def _local(dt: datetime, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return dt.astimezone(ZoneInfo(practice().timezone)).strftime(fmt)


@bp.app_template_filter("phone")
def _phone(number: str | None) -> str:
    """A stored number (E.164) as the front desk dials it: national format for the
    practice's country ("0170 12345678"), international for others ("+44 7911 123456");
    the processed list and customer search find either form."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, practice().country or "DE")
    except phonenumbers.NumberParseException:
        return number
    same_country = phonenumbers.region_code_for_number(parsed) == (practice().country or "DE")
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        parsed, style.NATIONAL if same_country else style.INTERNATIONAL
    )


@bp.app_template_filter("fromiso")
def _fromiso(value: str) -> datetime:
    return datetime.fromisoformat(value)


@bp.app_template_filter("history_text")
def _history_text(change: StatusChange) -> str:
    return note_text(change, practice())


@bp.app_template_filter("ago")
def _ago(dt: datetime) -> str:
    """How long ago, rounded as Babel does ("vor 1 Minute" from 51 s, "vor 1 Stunde" from
    51 min): a list of arrivals reads like speech, never "vor 65 Sekunden"."""
    return format_timedelta(dt - utcnow(), add_direction=True)


@bp.get("/status-colours.css")
def status_css():
    """The practice's status colours as classes: a strict CSP forbids inline style attributes."""
    rules = []
    for status in practice().statuses:
        colour = status.color if re.fullmatch(r"#[0-9a-fA-F]{6}", status.color or "") else "#6b7280"
        rules.append(
            f".status-{status.id} {{ border-color: {colour}; border-left-color: {colour}; }}\n"
            f".status-{status.id} .dot {{ background: {colour}; }}"
        )
    response = current_app.response_class("\n".join(rules), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.app_context_processor
def _console_globals():
    """The banner when no worker delivers, and the navigation's count of waiting requests
    with the rhythm its poll follows."""
    if not request.blueprint == "console" or not current_user.is_authenticated:
        return {}
    p = practice()
    return {
        "workers_alive": worker_alive(),
        "StatusKind": StatusKind,
        "nav_open_count": requests_inbox.open_count(db.session, p.id),
        "nav_poll_seconds": p.inbox_poll_seconds,
    }
