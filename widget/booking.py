"""The booking form and its POST, and the done page.

The form carries its state in one signed token (no session, no cookie): the practice, the
choice, the offered starts, when it was served and a booking key that makes replays book
nothing new."""

from __future__ import annotations

import secrets
import time as clock
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    redirect,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _

import links
from clock import utcnow
from core import booking, ratelimit, tokens, url_dates, waitlist
from core.availability import local_instant
from core.models import Practice, StatusKind
from extensions import db
from widget import practices
from widget.blueprint import bp
from widget.choice import Choice
from widget.common import WidgetError, load_practice, wurl
from widget.form import LABELS, SALUTATIONS, BookingForm
from widget.guards import load_appointment, same_origin
from widget.week import nearest_free

FORM_MAX_AGE = 2 * 3600


def parse_start(practice: Practice, raw: str) -> datetime:
    """A local wall-clock start from the URL ("2026-11-23T09:00") as a UTC instant."""
    tz = ZoneInfo(practice.timezone)
    try:
        wall = url_dates.parse_wall_time(raw, utcnow().astimezone(tz).date())
    except ValueError:
        raise WidgetError(400, _("This date is not valid.")) from None
    instant = local_instant(wall.date(), wall.time(), tz)
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
    practice = practices.load(slug)
    choice = Choice.from_request(practice)
    if not choice.complete:
        raise WidgetError(400, _("Please choose the kind of appointment first."))
    start = parse_start(practice, request.args.get("start", ""))
    now = utcnow()
    if not any(
        booking.slot_is_offered(db.session, practice, choice.kind, r, start, now)
        for r in choice.resources
    ):
        return _taken(practice, choice, start, BookingForm.empty(), now)
    return _render_form(practice, choice, [start], BookingForm.empty())


def _render_form(
    practice, choice, starts, form, *, status=200, taken=False, too_fast=False, chosen=None
):
    token = form_token(practice, choice, starts)
    return render_template(
        "widget/form.html",
        practice=practice,
        choice=choice,
        starts=starts,
        form=form,
        token=token,
        taken=taken,
        too_fast=too_fast,
        chosen=chosen,
        labels=LABELS,
        salutations=SALUTATIONS,
    ), status


def _taken(practice, choice, lost: datetime, form: BookingForm, now: datetime):
    alternatives = nearest_free(practice, choice, lost, now)
    return _render_form(practice, choice, alternatives, form, status=409, taken=True)


@bp.post("/<slug>/book")
def book(slug: str):
    practice = practices.load(slug)
    claims = _verify_post(practice)
    choice = _choice_from_claims(practice, claims)
    form = BookingForm.parse(request.form, practice)
    start = _chosen_start(practice, claims)
    if form.honeypot_filled:
        return _pretend_success(practice, choice, start)
    if _too_fast(claims):  # a bot, or a quick human with autofill: the same form, filled
        return _render_form(
            practice, choice, _claim_starts(claims), form, status=429, too_fast=True, chosen=start
        )
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
        language=str(get_locale()),
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
    return claims


def _too_fast(claims: dict) -> bool:
    """Sent sooner after the form was served than a person types: asked to send it again."""
    return clock.time() - claims["i"] < current_app.config["WIDGET_MIN_FILL_SECONDS"]


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
    """What a real booking of this type would show (a blocked contact must not tell)."""
    return render_template(
        "widget/done.html",
        practice=practice,
        appointment=None,
        confirmed=booking.start_status(practice, choice.kind).kind is StatusKind.CONFIRMED,
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
        confirmed=appointment.status.kind is StatusKind.CONFIRMED,
        kind=appointment.type,
        branch=appointment.branch,
        start=appointment.start,
        cancel_url=links.cancel_url(appointment, lang=request.args.get("lang")),
        ics_url=links.ics_url(appointment, lang=request.args.get("lang")),
        waitlist_url=None
        if waitlist.refusal(appointment, utcnow())
        else links.waitlist_url(appointment, lang=request.args.get("lang")),
    )
