"""What every widget page shares: the error page, the practice lookup, links that keep
`?lang=` (no cookie remembers it) and the date and time filters in the practice's zone."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from core import numbers
from core.models import Practice
from extensions import LANGUAGES, db
from notifications import formatting
from widget.blueprint import bp


class WidgetError(Exception):
    """A request the widget cannot serve; rendered as a page in the widget's look."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@bp.errorhandler(WidgetError)
def widget_error(error: WidgetError):
    return render_template("widget/error.html", message=error.message), error.status


def load_practice(slug: str) -> Practice:
    practice = db.session.scalar(select(Practice).where(Practice.slug == slug[:60]))
    if practice is None:
        raise WidgetError(404, _("This booking page does not exist."))
    g.practice = practice
    g.locale = practice.language
    return practice


@bp.app_template_global("wurl_query")
def wurl_query(**values) -> str:
    """The query string of a widget link (with `lang`), for compact links in the week grid."""
    return urlencode(_with_lang(values))


@bp.app_template_global("wurl")
def wurl(endpoint: str, **values) -> str:
    """url_for that keeps `?lang=` through the whole flow (no cookie remembers it)."""
    return url_for(endpoint, **_with_lang(values))


def _with_lang(values: dict) -> dict:
    lang = request.values.get("lang")
    if lang in LANGUAGES:
        values.setdefault("lang", lang)
    return values


def appointment_page(template: str, appointment, *, status: int = 200, **context):
    """A page about one customer's appointment (reschedule, waiting list, offer): the branch
    footer and the appointment's time, in the customer's language."""
    page = render_template(
        template,
        practice=appointment.practice,
        appointment=appointment,
        branch=appointment.branch,
        when=formatting.when(appointment, g.locale),
        **context,
    )
    return page, status


def int_arg(name: str) -> int | None:
    return numbers.parse_id(request.values.get(name))


@bp.app_template_filter("wdate")
def _wdate(dt: datetime) -> str:
    """A UTC instant as the practice's local date, e.g. "Montag, 23. November 2026"."""
    return format_date(dt.astimezone(ZoneInfo(g.practice.timezone)), "EEEE, d. MMMM y")


@bp.app_template_filter("wtime")
def _wtime(dt: datetime) -> str:
    return dt.astimezone(ZoneInfo(g.practice.timezone)).strftime("%H:%M")


@bp.app_template_filter("ldate")
def _ldate(day: date) -> str:
    return format_date(day, "long")


@bp.app_template_filter("wday_long")
def _wday_long(day: date) -> str:
    return format_date(day, "EEEE")


@bp.app_template_filter("wday_short")
def _wday_short(day: date) -> str:
    return format_date(day, "EEE")
