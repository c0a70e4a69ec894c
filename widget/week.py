"""The week grid of free times, served from the shared cache while the practice is unchanged.

A hit is one Redis round trip and no database; a browser or reverse proxy that holds the
page revalidates it by its ETag (304 for an unchanged week). A proxy may keep it a few
seconds (`s-maxage`), never past the moment its earliest time falls into the lead time: a
time taken meanwhile is refused by the form and by the booking POST, which re-checks under
the lock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from clock import utcnow
from core import availability, booking, url_dates
from core.models import Practice
from extensions import db
from widget import cache, practices
from widget.blueprint import bp, widget_csp
from widget.choice import Choice
from widget.common import WidgetError, day_format, wurl

PROXY_SECONDS = 10  # how long a shared cache may serve the page without asking


@bp.get("/<slug>/week")
def week(slug: str):
    """The week grid, served from the shared cache while the practice's calendar is unchanged."""
    now = utcnow()
    page = cache.lookup(slug, request.query_string, now)
    if isinstance(page, cache.Miss):
        practice = practices.for_week(slug, page.practice_id, page.settings)
        choice = Choice.from_request(practice)
        if not choice.complete:
            asked = {k: request.args[k][:10] for k in ("type", "branch") if k in request.args}
            return redirect(wurl("widget.where", slug=slug, **asked))
        version = page.version if page.practice_id == practice.id else None
        version = version or cache.version(practice.id)
        context, valid_until = week_context(practice, choice, version)
        body = render_template("widget/week.html", **context).encode()
        page = cache.Page(cache.etag_of(body), widget_csp(practice), body, valid_until)
        if version is not None:
            cache.store_page(slug, practice.id, version, request.query_string, page)
    return _conditional(page, now)


def _conditional(page: cache.Page, now: datetime) -> Response:
    response = Response(page.body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = page.csp
    response.set_etag(page.etag)
    shared = max(0, min(PROXY_SECONDS, int((page.valid_until - now).total_seconds())))
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={shared}, must-revalidate"
    return response.make_conditional(request)


def week_page(practice: Practice, choice: Choice, template: str = "widget/week.html", **extra):
    """The grid page of the chosen type and branch (the reschedule grid extends it)."""
    context, _valid_until = week_context(practice, choice, cache.version(practice.id))
    return render_template(template, **context, **extra)


def week_context(practice: Practice, choice: Choice, version: str | None):
    """The grid of the requested `week`, else the first with a free time, as the template's
    context, and until when a page of it stays true. Its links are relative, so a page that
    extends the template under another path (the reschedule grid) keeps the customer there."""
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
    context = {"practice": practice, "choice": choice, "grid": grid, "last_day": last_day}
    midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    if grid is None:
        return context, midnight
    if version is not None:
        cache.store_grid(practice.id, version, _grid_name(choice, grid.monday), _starts(grid, tz))
    prev_week = grid.monday - timedelta(days=7)
    next_week = grid.monday + timedelta(days=7)
    context.update(
        prev_week=prev_week if prev_week >= this_monday else None,
        next_week=next_week if next_week <= last_day else None,
        next_free=None if requested else grid.first_free,
    )
    return context, min(midnight, _first_free_leaves(practice, grid, tz))


def _first_free_leaves(practice: Practice, grid: availability.WeekGrid, tz) -> datetime:
    """When the grid's earliest free time falls into the lead time: the first moment a page
    of it would offer a time no longer bookable."""
    if grid.first_free is None:
        return datetime.max.replace(tzinfo=UTC)
    first = availability.local_instant(*grid.first_free, tz) or datetime.max.replace(tzinfo=UTC)
    return first - timedelta(minutes=practice.min_lead_minutes)


def nearest_free(practice: Practice, choice: Choice, around: datetime, now: datetime, limit=6):
    """Free starts closest to `around` (a just-taken time) in its week and the next, from the
    cached grids where the week page left them (computed and stored where not), so a burst of
    409s on a popular time does not recompute two weeks each."""
    tz = ZoneInfo(practice.timezone)
    monday = availability.week_start(around.astimezone(tz).date())
    version = cache.version(practice.id)
    earliest = now + timedelta(minutes=practice.min_lead_minutes)
    starts: list[datetime] = []
    for offset in (0, 7):
        day = monday + timedelta(days=offset)
        name = _grid_name(choice, day)
        found = cache.load_grid(practice.id, version, name, earliest) if version else None
        if found is None:
            grid = booking.week(db.session, practice, choice.kind, choice.resources, day, now)
            found = _starts(grid, tz)
            if version is not None:
                cache.store_grid(practice.id, version, name, found)
        starts += found
    return sorted(starts, key=lambda s: abs(s - around))[:limit]


def _grid_name(choice: Choice, monday: date) -> str:
    resource = choice.resource.id if choice.resource else 0
    return f"{choice.kind.id}.{choice.branch.id}.{resource}.{monday.isoformat()}"


def _starts(grid: availability.WeekGrid, tz) -> list[datetime]:
    instants = (availability.local_instant(d, t, tz) for d, t in grid.free)
    return sorted(i for i in instants if i is not None)


def _parse_date(raw: str, today: date) -> date:
    try:
        return url_dates.parse_day(raw, today)
    except ValueError:
        raise WidgetError(400, _("This date is not valid.")) from None
