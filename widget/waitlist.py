"""The waiting list for an earlier time, from the customer's side: the page that puts their
booking on the list (from the success page or the email), and the page of an offer.

Both are signed links: GET shows, only the form's POST acts (joins, leaves, takes the
offer), with the same-origin check of every widget form. Taking an offer is a move under
the booking lock (core.waitlist_claim): of two customers claiming one time, one wins.
"""

from __future__ import annotations

from datetime import date

from flask import g, request

import links
from clock import utcnow
from core import tokens, waitlist, waitlist_claim
from core.models import WaitlistOffer
from extensions import db
from notifications import formatting
from widget.blueprint import bp
from widget.common import appointment_page
from widget.guards import link_problem, load_appointment, load_signed, same_origin


@bp.route("/<slug>/wait/<token>", methods=["GET", "POST"], endpoint="waitlist")
def waitlist_page(slug: str, token: str):
    appointment = load_appointment(slug, token, tokens.Purpose.WAITLIST)
    g.practice = appointment.practice
    now, saved, refused = utcnow(), None, None
    if request.method == "POST":
        if not same_origin():
            return link_problem("cross_site", 403)
        saved, refused = _act(appointment, now)
    first, last = waitlist.until_range(appointment, now)
    entry = waitlist.entry_of(db.session, appointment.id)
    return appointment_page(
        "widget/waitlist.html",
        appointment,
        status=422 if refused else 200,
        entry=entry if entry is not None and entry.ended_at is None else None,
        first=first,
        last=last,
        saved=saved,
        refused=refused or waitlist.refusal(appointment, now),
        Refusal=waitlist.Refusal,
    )


def _act(appointment, now):
    """Join (or change the day) or leave; (what was done, why it was refused)."""
    if request.form.get("action") == "leave":
        waitlist.leave(db.session, appointment, now)
        return "left", None
    try:
        until = date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        return None, waitlist.Refusal.BAD_DATE
    try:
        waitlist.join(db.session, appointment, until, now)
    except waitlist.Refused as error:
        return None, error.refusal
    return "joined", None


@bp.route("/<slug>/offer/<token>", methods=["GET", "POST"], endpoint="offer")
def offer_page(slug: str, token: str):
    offer = _load_offer(slug, token)
    now = utcnow()
    if request.method == "POST":
        if not same_origin():
            return link_problem("cross_site", 403)
        outcome = waitlist_claim.claim(db.session, offer.id, now)
        offer = db.session.get(WaitlistOffer, offer.id)
    else:
        outcome = waitlist_claim.state(offer, now)
    appointment = offer.entry.appointment
    lost = request.method == "POST" and outcome is not waitlist_claim.Outcome.MOVED
    return appointment_page(
        "widget/offer.html",
        appointment,
        status=409 if lost else 200,
        offered=formatting.at(appointment, offer.start, g.locale),
        expires=formatting.at(appointment, offer.expires_at, g.locale),
        outcome=outcome,
        Outcome=waitlist_claim.Outcome,
        ics_url=links.ics_url(appointment, lang=request.args.get("lang")),
    )


def _load_offer(slug: str, token: str) -> WaitlistOffer:
    offer = load_signed(slug, token, links.read_offer_token, WaitlistOffer)
    g.practice = offer.entry.appointment.practice
    g.locale = offer.entry.appointment.language
    return offer
