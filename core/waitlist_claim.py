"""A waiting customer takes an offered earlier time: their own appointment moves there.

The claim is core.moving's move onto the offered resource and time, with the widget's rules
(working hours, lead time) under the booking lock, so two customers claiming one time at
once are served one after the other: the first moves, the second finds the time taken. The
offer is re-read under its row lock inside that transaction, so a claim never acts on an
offer that was closed meanwhile. What the move causes (the update mail, the staff alert,
the other offers closed, the claimer's old time offered on) is core.effects's table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.orm import Session

from core import booking, moving
from core.models import Actor, Appointment, NoteKind, OfferState, WaitlistOffer


class Outcome(enum.StrEnum):
    MOVED = "moved"  # the appointment is at the offered time now
    GONE = "gone"  # someone else took it first
    EXPIRED = "expired"
    NOT_NEEDED = "not_needed"  # their appointment is cancelled, already earlier, or they left


class _Refused(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(outcome)
        self.outcome = outcome


def state(offer: WaitlistOffer, now: datetime) -> Outcome | None:
    """What became of the offer, or None while it can be taken."""
    if offer.state is OfferState.CLAIMED:
        return Outcome.MOVED
    if offer.state is OfferState.GONE:
        return Outcome.GONE
    if now >= offer.expires_at:
        return Outcome.EXPIRED
    entry, appointment = offer.entry, offer.entry.appointment
    if entry.ended_at is not None or appointment.status.kind.frees_slot:
        return Outcome.NOT_NEEDED
    if appointment.start <= offer.start:
        return Outcome.NOT_NEEDED
    return None


def claim(session: Session, offer_id: int, now: datetime) -> Outcome:
    """Take the offer once; a second claim, a late one or a lost race changes nothing and
    says why. Commits once."""
    offer = session.get(WaitlistOffer, offer_id)
    refused = state(offer, now)
    if refused is not None:
        session.rollback()
        return refused

    def check(_current: Appointment) -> None:
        session.refresh(offer, with_for_update=True)
        outcome = state(offer, now)
        if outcome is not None:
            raise _Refused(outcome)

    ask = moving.Move(
        offer.entry.appointment_id,
        offer.start,
        [offer.resource],
        Actor.CUSTOMER,
        offered_only=True,
        note=NoteKind.WAITLIST_CLAIMED,
        check=check,
    )
    try:
        moving.move(session, ask, now)
    except _Refused as refusal:
        return refusal.outcome
    except booking.SlotTaken:
        return _gone(session, offer_id, now)
    return Outcome.MOVED


def _gone(session: Session, offer_id: int, now: datetime) -> Outcome:
    """The time was taken by a path that did not close the offer (a staff booking): it is."""
    offer = session.get(WaitlistOffer, offer_id)
    if offer.state is OfferState.OPEN:
        offer.state, offer.answered_at = OfferState.GONE, now
    session.commit()
    return Outcome.GONE
