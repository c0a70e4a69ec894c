"""The week grid of free times, served from the shared cache while the calendar is unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Response,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from clock import utcnow
from core import availability, booking, url_dates
from core.models import Practice
from extensions import db
from widget import cache
from widget.blueprint import bp, widget_csp
from widget.choice import Choice
from widget.common import WidgetError, day_format, load_practice, wurl


@bp.get("/<slug>/week")
def week(slug: str):
    """The week grid, served from the shared cache while the practice's calendar is unchanged."""
    minute = int(utcnow().timestamp() // 60)
    csp, body = cache.lookup(slug, request.query_string, minute)
    if body is not None:
        response = Response(body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp
        return response
    practice = load_practice(slug)
    response = make_response(_week_page(practice, slug))
    if response.status_code == 200:
        cache.store(
            slug,
            practice.id,
            request.query_string,
            minute,
            widget_csp(practice),
            response.get_data(),
        )
    return response


def _week_page(practice: Practice, slug: str):
    choice = Choice.from_request(practice)
    if not choice.complete:
        asked = {k: request.args[k][:10] for k in ("type", "branch") if k in request.args}
        return redirect(wurl("widget.where", slug=slug, **asked))
    return week_page(practice, choice)


def week_page(practice: Practice, choice: Choice, template: str = "widget/week.html", **extra):
    """The grid of the chosen type and branch: the requested `week`, else the first with a
    free time. Its links are relative, so a page that extends the template under another
    path (the reschedule grid) keeps the customer there."""
    now = utcnow()
    language = str(get_locale())  # the customer's: holiday names in it
    tz = ZoneInfo(practice.timezone)
    today = now.astimezone(tz).date()
    this_monday = availability.first_week(today, booking.works_sundays(choice.resources))
    last_day = (now + timedelta(days=practice.horizon_days)).astimezone(tz).date()
    requested = request.args.get("week")
    if requested:
        monday = availability.week_start(_parse_date(requested, this_monday))
        if monday < this_monday or monday > last_day:
            raise WidgetError(
                404,
                _(
                    "Appointments can only be booked from today up to %(date)s.",
                    date=day_format(last_day, "long"),
                ),
            )
        grid = booking.week(
            db.session, practice, choice.kind, choice.resources, monday, now, language
        )
    else:
        grid = booking.first_free_week(
            db.session, practice, choice.kind, choice.resources, now, language
        )
    if grid is None:
        return render_template(
            template, practice=practice, choice=choice, grid=None, last_day=last_day, **extra
        )
    prev_week = grid.monday - timedelta(days=7)
    next_week = grid.monday + timedelta(days=7)
    return render_template(
        template,
        practice=practice,
        choice=choice,
        grid=grid,
        last_day=last_day,
        prev_week=prev_week if prev_week >= this_monday else None,
        next_week=next_week if next_week <= last_day else None,
        next_free=None if requested else grid.first_free,
        **extra,
    )


def _parse_date(raw: str, today: date) -> date:
    try:
        return url_dates.parse_day(raw, today)
    except ValueError:
        raise WidgetError(400, _("This date is not valid.")) from None
