"""What every widget page shares: the error page, the practice lookup, links that keep
`?lang=` (no cookie remembers it) and the date and time filters in the practice's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from core import numbers
from core.models import AppointmentType, Practice, Resource
from extensions import LANGUAGES, db
from notifications import formatting
from widget.blueprint import bp, widget_csp


class WidgetError(Exception):
    """A request the widget cannot serve; rendered as a page in the widget's look."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@bp.errorhandler(WidgetError)
def widget_error(error: WidgetError):
    """The error in the widget's look, with the practice's name and a way back to its start."""
    page = render_template("widget/error.html", message=error.message, practice=url_practice())
    return page, error.status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Werkzeug's own errors (a body too large, a wrong method) in the widget's look too."""
    if error.code == 413:  # the body was refused unread: nothing below may try to read it
        request.form = ImmutableMultiDict()
    message = {
        405: _("This page cannot be used that way. Please start again."),
        413: _("What you sent is too long. Please shorten your message."),
    }.get(error.code or 0, _("This page could not be shown. Please start again."))
    return widget_error(WidgetError(error.code or 500, message))


def url_practice() -> Practice | None:
    """The practice the URL names (already loaded, or looked up), for error pages."""
    if g.get("practice") is None:
        slug = (request.view_args or {}).get("slug")
        if slug:
            g.practice = _find(slug)
    return g.get("practice")


def _find(slug: str, eager: bool = False) -> Practice | None:
    query = select(Practice).where(Practice.slug == slug[:60])
    if eager:
        query = query.options(*WEEK_LOADS)
    return db.session.scalar(query)


# What a week grid reads of the practice, in four queries instead of one per type and resource.
WEEK_LOADS = (
    selectinload(Practice.appointment_types)
    .selectinload(AppointmentType.resources)
    .selectinload(Resource.working_hours),
    selectinload(Practice.branches),
)


def load_practice(slug: str, eager: bool = False) -> Practice:
    """The practice the URL names, or the widget's 404; `eager` loads what a grid reads."""
    practice = _find(slug, eager)
    if practice is None:
        raise WidgetError(404, _("This booking page does not exist."))
    return adopt_practice(practice)


def adopt_practice(practice: Practice) -> Practice:
    """The request's practice: its CSP (taken now: a booking's commit expires the row, and
    reading it again afterwards would cost a query), its error pages, its language."""
    g.practice = practice
    g.locale = practice.language
    g.widget_csp = widget_csp(practice)
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


def day_format(day: date, kind: str, language: str | None = None) -> str:
    """`day` in the page's language (the emails' formatter): "full", "day", "long", "head"."""
    return _formatted_day(day, kind, language or str(get_locale()))


@lru_cache(maxsize=4096)
def _formatted_day(day: date, kind: str, language: str) -> str:
    """Babel's formatting is the week grid's costliest call per slot label, and a grid names
    each of its days once per time: formatted once per process."""
    return formatting.day_format(day, kind, language)


def _local(dt: datetime) -> datetime:
    return dt.astimezone(ZoneInfo(g.practice.timezone))


@bp.app_template_filter("wdate")
def _wdate(dt: datetime) -> str:
    """A UTC instant as the practice's local date, e.g. "Montag, 23. November 2026"."""
    return day_format(_local(dt).date(), "full")


@bp.app_template_filter("wtime")
def _wtime(dt: datetime) -> str:
    """A UTC instant as the practice's local time of day, "14:00" in both languages."""
    return formatting.clock(_local(dt))


@bp.app_template_filter("ldate")
def _ldate(day: date) -> str:
    return day_format(day, "long")


@bp.app_template_filter("wday_long")
def _wday_long(day: date) -> str:
    return format_date(day, "EEEE")


@bp.app_template_filter("wday_short")
def _wday_short(day: date) -> str:
    return format_date(day, "EEE")


@bp.app_template_filter("wday_head")
def _wday_head(day: date) -> str:
    """The day's date under its weekday in the grid: "23.11." or "23 Nov"."""
    return day_format(day, "head")


@bp.app_template_global("slot_label")
def slot_label(day: date, at: time) -> str:
    """The accessible name of a slot link: "Montag, 23. November, 09:00"."""
    return f"{day_format(day, 'day')}, {formatting.clock(at)}"
