"""Widget pages under /w/<practice-slug>/: choose, see the week, fill in, done.

Every step is a plain link or form; the state of the flow travels in the URL and, on the
booking form, in one signed token (no session, no cookie). Views parse, call core, render.
"""

from __future__ import annotations

import secrets
import time as clock
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

import links
from clock import utcnow
from core import availability, booking, numbers, ratelimit, tokens
from core.availability import local_instant
from core.models import AppointmentType, Branch, Practice
from extensions import LANGUAGES, db
from widget import bp, cache, widget_csp
from widget.cancel import load_appointment, same_origin
from widget.form import SALUTATIONS, BookingForm

FORM_MAX_AGE = 2 * 3600


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


def _int_arg(name: str) -> int | None:
    return numbers.parse_id(request.values.get(name))


def online_types(practice: Practice) -> list[AppointmentType]:
    return [t for t in practice.appointment_types if t.online_bookable and t.resources]


def branches_for(kind: AppointmentType | None, practice: Practice) -> list[Branch]:
    if kind is None:
        return list(practice.branches)
    ids = {r.branch_id for r in kind.resources if r.active}
    return [b for b in practice.branches if b.id in ids]


class Choice:
    """The customer's choices so far (type, branch, resource), validated against the practice.

    Where only one type or branch exists it is chosen for the customer.
    """

    def __init__(self, practice: Practice, type_id, branch_id, resource_id):
        types = online_types(practice)
        self.kind = next((t for t in types if t.id == type_id), None)
        if self.kind is None and len(types) == 1 and type_id is None:
            self.kind = types[0]
        branches = branches_for(self.kind, practice)
        self.branch = next((b for b in branches if b.id == branch_id), None)
        if self.branch is None and len(branches) == 1 and branch_id is None:
            self.branch = branches[0]
        self.resources = (
            booking.bookable_resources(self.kind, self.branch.id) if self.complete else []
        )
        self.resource = next((r for r in self.resources if r.id == resource_id), None)
        if resource_id and self.resource is None and self.complete:
            raise WidgetError(404, _("This person or room cannot be booked online."))
        if self.resource is not None:
            self.resources = [self.resource]

    @classmethod
    def from_request(cls, practice: Practice) -> Choice:
        return cls(practice, _int_arg("type"), _int_arg("branch"), _int_arg("resource"))

    @property
    def complete(self) -> bool:
        return self.kind is not None and self.branch is not None

    def params(self) -> dict:
        values = {}
        if self.kind is not None:
            values["type"] = self.kind.id
        if self.branch is not None:
            values["branch"] = self.branch.id
        if self.resource is not None:
            values["resource"] = self.resource.id
        return values


@bp.get("/<slug>/")
def entry(slug: str):
    practice = load_practice(slug)
    choice = Choice.from_request(practice)
    submitted = "type" in request.args or "branch" in request.args
    if choice.complete and (submitted or _nothing_to_choose(practice)):
        return redirect(wurl("widget.week", slug=slug, **choice.params()))
    types = online_types(practice)
    return render_template(
        "widget/entry.html",
        practice=practice,
        types=types,
        choice=choice,
        branches=branches_for(choice.kind, practice),
        missing=submitted and not choice.complete,
    )


def _nothing_to_choose(practice: Practice) -> bool:
    types = online_types(practice)
    return len(types) == 1 and len(branches_for(types[0], practice)) == 1


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
        return redirect(wurl("widget.entry", slug=slug, **choice.params()))
    now = utcnow()
    tz = ZoneInfo(practice.timezone)
    this_monday = availability.first_week(now.astimezone(tz).date())
    last_day = (now + timedelta(days=practice.horizon_days)).astimezone(tz).date()
    requested = request.args.get("week")
    if requested:
        monday = availability.week_start(_parse_date(requested))
        if monday < this_monday or monday > last_day:
            raise WidgetError(
                404,
                _(
                    "Appointments can only be booked from today up to %(date)s.",
                    date=format_date(last_day, "long"),
                ),
            )
        grid = booking.week(db.session, practice, choice.kind, choice.resources, monday, now)
    else:
        grid = booking.first_free_week(db.session, practice, choice.kind, choice.resources, now)
    if grid is None:
        return render_template(
            "widget/week.html", practice=practice, choice=choice, grid=None, last_day=last_day
        )
    prev_week = grid.monday - timedelta(days=7)
    next_week = grid.monday + timedelta(days=7)
    return render_template(
        "widget/week.html",
        practice=practice,
        choice=choice,
        grid=grid,
        last_day=last_day,
        prev_week=prev_week if prev_week >= this_monday else None,
        next_week=next_week if next_week <= last_day else None,
        slot_label=_slot_label,
    )


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise WidgetError(400, _("This date is not valid.")) from None


def _slot_label(day: date, at) -> str:
    """The accessible name of a slot link: "Montag, 23. November, 09:00"."""
    pattern = "EEEE, d. MMMM" if str(get_locale()) == "de" else "EEEE, MMMM d"
    return f"{format_date(day, pattern)}, {at.strftime('%H:%M')}"


def _parse_start(practice: Practice, raw: str) -> datetime:
    """A local wall-clock start from the URL ("2026-11-23T09:00") as a UTC instant."""
    try:
        wall = datetime.fromisoformat(raw[:16])
    except ValueError:
        raise WidgetError(400, _("This date is not valid.")) from None
    instant = local_instant(wall.date(), wall.time(), ZoneInfo(practice.timezone))
    if instant is None:
        raise WidgetError(400, _("This date is not valid."))
    return instant


def form_token(practice: Practice, choice: Choice, starts: list[datetime]) -> str:
    return tokens.sign(
        current_app.config["SECRET_KEY"],
        tokens.Purpose.BOOKING_FORM,
        {
            "p": practice.id,
            "t": choice.kind.id,
            "b": choice.branch.id,
            "r": choice.resource.id if choice.resource else 0,
            "s": [s.isoformat() for s in starts],
            "i": int(clock.time()),
            "k": secrets.token_urlsafe(18),
        },
    )


@bp.get("/<slug>/book")
def book_form(slug: str):
    practice = load_practice(slug)
    choice = Choice.from_request(practice)
    if not choice.complete:
        raise WidgetError(400, _("Please choose the kind of appointment first."))
    start = _parse_start(practice, request.args.get("start", ""))
    now = utcnow()
    if not any(
        booking.slot_is_offered(db.session, practice, choice.kind, r, start, now)
        for r in choice.resources
    ):
        return _taken(practice, choice, start, BookingForm.empty(), now)
    return _render_form(practice, choice, [start], BookingForm.empty())


def _render_form(practice, choice, starts, form, *, status=200, taken=False):
    token = form_token(practice, choice, starts)
    return render_template(
        "widget/form.html",
        practice=practice,
        choice=choice,
        starts=starts,
        form=form,
        token=token,
        taken=taken,
        salutations=SALUTATIONS,
    ), status


def _taken(practice, choice, lost: datetime, form: BookingForm, now: datetime):
    alternatives = booking.nearest_free(
        db.session, practice, choice.kind, choice.resources, lost, now
    )
    return _render_form(practice, choice, alternatives, form, status=409, taken=True)


@bp.post("/<slug>/book")
def book(slug: str):
    practice = load_practice(slug)
    claims = _verify_post(practice)
    choice = _choice_from_claims(practice, claims)
    form = BookingForm.parse(request.form, practice)
    start = _chosen_start(practice, claims)
    if form.honeypot_filled:
        return _pretend_success(practice, choice, start)
    if not form.valid:
        return _render_form(
            practice, choice, [start] if start else _claim_starts(claims), form, status=422
        )
    if start is None:
        form.errors["start"] = _("Please choose a time.")
        return _render_form(practice, choice, _claim_starts(claims), form, status=422)
    if not _within_rate_limits(form):
        raise WidgetError(
            429,
            _(
                "You have made many bookings in a short time. Please call us "
                "instead, we will gladly help."
            ),
        )
    request_data = booking.OnlineRequest(
        practice_id=practice.id,
        type_id=choice.kind.id,
        branch_id=choice.branch.id,
        resource_id=choice.resource.id if choice.resource else None,
        start=start,
        booking_key=claims["k"],
        privacy_url=practice.privacy_policy_url,
        **form.data,
    )
    now = utcnow()
    try:
        appointment = booking.book_online(db.session, request_data, now)
    except booking.SlotTaken:
        return _taken(practice, choice, start, form, now)
    except booking.NotBookable:
        raise WidgetError(404, _("This appointment cannot be booked online.")) from None
    if appointment is None:  # blocked contact: looks like success, nothing stored
        return _pretend_success(practice, choice, start)
    return redirect(
        wurl("widget.done", slug=slug, token=links.customer_token(appointment)), code=303
    )


def _verify_post(practice: Practice) -> dict:
    if not same_origin():
        raise WidgetError(403, _("Please send the form from this booking page."))
    try:
        claims = tokens.read(
            current_app.config["SECRET_KEY"],
            tokens.Purpose.BOOKING_FORM,
            request.form.get("token", ""),
            max_age=FORM_MAX_AGE,
        )
    except tokens.ExpiredToken:
        raise WidgetError(
            400, _("The form was open for too long. Please choose the time again.")
        ) from None
    except tokens.BadToken:
        raise WidgetError(
            400, _("The form could not be verified. Please choose the time again.")
        ) from None
    if claims.get("p") != practice.id:
        raise WidgetError(400, _("The form could not be verified. Please choose the time again."))
    if clock.time() - claims["i"] < current_app.config["WIDGET_MIN_FILL_SECONDS"]:
        raise WidgetError(
            429, _("That was very fast. Please check your details and send the form again.")
        )
    return claims


def _choice_from_claims(practice: Practice, claims: dict) -> Choice:
    choice = Choice(practice, claims["t"], claims["b"], claims["r"] or None)
    if not choice.complete:
        raise WidgetError(404, _("This appointment cannot be booked online."))
    return choice


def _claim_starts(claims: dict) -> list[datetime]:
    return [datetime.fromisoformat(s) for s in claims["s"]]


def _chosen_start(practice: Practice, claims: dict) -> datetime | None:
    """The start the customer submitted, which must be one the token offered."""
    starts = _claim_starts(claims)
    if len(starts) == 1:
        return starts[0]
    chosen = request.form.get("start", "")
    return next((s for s in starts if s.isoformat() == chosen), None)


def _within_rate_limits(form: BookingForm) -> bool:
    store = current_app.extensions["redis"]
    config = current_app.config
    return all(
        [
            ratelimit.allow(
                store,
                "book-ip",
                request.remote_addr or "-",
                config["BOOKING_LIMIT_PER_IP"],
                3600,
            ),
            ratelimit.allow(
                store,
                "book-email",
                form.data["email"],
                config["BOOKING_LIMIT_PER_CONTACT"],
                86400,
            ),
            ratelimit.allow(
                store,
                "book-phone",
                form.data["phone"],
                config["BOOKING_LIMIT_PER_CONTACT"],
                86400,
            ),
        ]
    )


def _pretend_success(practice: Practice, choice: Choice, start: datetime | None):
    return render_template(
        "widget/done.html",
        practice=practice,
        appointment=None,
        kind=choice.kind,
        branch=choice.branch,
        start=start,
    )


@bp.get("/<slug>/done/<token>")
def done(slug: str, token: str):
    practice = load_practice(slug)
    appointment = load_appointment(slug, token)
    return render_template(
        "widget/done.html",
        practice=practice,
        appointment=appointment,
        kind=appointment.type,
        branch=appointment.branch,
        start=appointment.start,
        cancel_url=links.cancel_url(appointment, lang=request.args.get("lang")),
        ics_url=links.ics_url(appointment, lang=request.args.get("lang")),
    )


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
