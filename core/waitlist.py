"""The waiting list for an earlier time: who waits, what a freed time offers them, and what
happens to the offers when the time is taken.

A customer with a booking asks to hear of an earlier time of the same type and branch, on
or before a day they choose. When an appointment is cancelled, declined or moved away,
core.effects calls `offer_freed_time` in that very transaction: the first waiting customers
(in the order they joined) each get an offer and an email with a signed link, which the
worker delivers. Offers expire after the practice's offer hours and never reach into its
lead time. When any appointment takes the time (a claim, a booking, a move),
`close_taken_offers` ends the offers on it: the claimer's is claimed and their wait is over,
the others are gone, and whoever already had the offer email hears that it is gone.
The claim itself (a move under the booking lock) is core.waitlist_claim.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    Appointment,
    Notification,
    NotificationState,
    OfferState,
    Practice,
    WaitlistEntry,
    WaitlistOffer,
)
from core.outbox import Kind, add, customer_email

MAX_OFFERS = 5  # waiting customers offered one freed time at once, first joined first


class Refusal(enum.StrEnum):
    NOT_OFFERED = "not_offered"  # the practice or the type has no waiting list
    NOT_ACTIVE = "not_active"  # cancelled, started, or no email to offer to
    BAD_DATE = "bad_date"


class Refused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal)
        self.refusal = refusal


def local_day(practice: Practice, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(practice.timezone)).date()


def refusal(appointment: Appointment, now: datetime) -> Refusal | None:
    """Why this appointment cannot wait for an earlier time, or None."""
    practice, kind = appointment.practice, appointment.type
    if not practice.waitlist_enabled or not kind.online_bookable or kind.capacity != 1:
        return Refusal.NOT_OFFERED
    if appointment.blocked or appointment.status.kind.frees_slot or appointment.start <= now:
        return Refusal.NOT_ACTIVE
    if not customer_email(appointment):
        return Refusal.NOT_ACTIVE
    return None


def until_range(appointment: Appointment, now: datetime) -> tuple[date, date]:
    """The days a customer may choose as "earlier times up to": today to the appointment's day."""
    practice = appointment.practice
    return local_day(practice, now), local_day(practice, appointment.start)


def entry_of(session: Session, appointment_id: int) -> WaitlistEntry | None:
    query = select(WaitlistEntry).where(WaitlistEntry.appointment_id == appointment_id)
    return session.scalar(query)


def join(session: Session, appointment: Appointment, until: date, now: datetime) -> None:
    """Wait (again) for an earlier time up to `until`; a second call changes the day.
    Raises Refused with nothing changed. Commits once."""
    reason = refusal(appointment, now)
    first, last = until_range(appointment, now)
    if reason is None and not first <= until <= last:
        reason = Refusal.BAD_DATE
    if reason is not None:
        session.rollback()
        raise Refused(reason)
    entry = entry_of(session, appointment.id)
    if entry is None:
        entry = WaitlistEntry(
            practice_id=appointment.practice_id, appointment=appointment, created_at=now
        )
        session.add(entry)
    entry.until, entry.ended_at = until, None
    session.commit()


def leave(session: Session, appointment: Appointment, now: datetime) -> None:
    entry = entry_of(session, appointment.id)
    if entry is not None and entry.ended_at is None:
        entry.ended_at = now
    session.commit()


def waiting(session: Session, practice_id: int, branch_id: int) -> list[WaitlistEntry]:
    """The branch's open entries in the order offers go out (the console's list)."""
    return list(
        session.scalars(
            select(WaitlistEntry)
            .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
            .where(
                WaitlistEntry.practice_id == practice_id,
                WaitlistEntry.ended_at.is_(None),
                Appointment.branch_id == branch_id,
                Appointment.holds_slot.is_(True),
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


# What core.effects calls -----------------------------------------------------------------


def offer_freed_time(
    session: Session,
    freed_by: Appointment,
    resource_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    """Offer [start, end) of the resource, which `freed_by` left, to the first waiting
    customers of its type and branch whose own appointment is later and who wait up to
    that day; none when the time starts within the lead time."""
    practice = freed_by.practice
    lead = timedelta(minutes=practice.min_lead_minutes)
    if not practice.waitlist_enabled or start - lead <= now:
        return
    expires = min(now + timedelta(hours=practice.waitlist_offer_hours), start - lead)
    for entry in _candidates(session, freed_by, start):
        offer = WaitlistOffer(
            practice_id=practice.id,
            entry=entry,
            resource_id=resource_id,
            start=start,
            end=end,
            expires_at=expires,
            created_at=now,
        )
        session.add(offer)
        session.flush()
        _tell(session, offer, Kind.WAITLIST_OFFER, now)


def _candidates(session: Session, freed_by: Appointment, start: datetime) -> list[WaitlistEntry]:
    day = local_day(freed_by.practice, start)
    entries = session.scalars(
        select(WaitlistEntry)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .where(
            WaitlistEntry.practice_id == freed_by.practice_id,
            WaitlistEntry.ended_at.is_(None),
            WaitlistEntry.until >= day,
            Appointment.id != freed_by.id,
            Appointment.type_id == freed_by.type_id,
            Appointment.branch_id == freed_by.branch_id,
            Appointment.holds_slot.is_(True),
            Appointment.blocked.is_(False),
            Appointment.start > start,
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(MAX_OFFERS)
    )
    return list(entries)


def close_taken_offers(session: Session, taker: Appointment, now: datetime) -> None:
    """`taker` now holds its time: open offers on it are over. The taker's own offer is
    claimed (their wait ends); everyone else's is gone, and who had the offer email hears so."""
    offers = session.scalars(
        select(WaitlistOffer).where(
            WaitlistOffer.resource_id == taker.resource_id,
            WaitlistOffer.start < taker.end,
            WaitlistOffer.end > taker.start,
            WaitlistOffer.state == OfferState.OPEN,
        )
    )
    for offer in offers:
        offer.answered_at = now
        entry = offer.entry
        if entry.appointment_id == taker.id:
            offer.state, entry.ended_at = OfferState.CLAIMED, now
            continue
        offer.state = OfferState.GONE
        if _offer_was_sent(session, offer):
            _tell(session, offer, Kind.WAITLIST_GONE, now)


def _tell(session: Session, offer: WaitlistOffer, kind: str, now: datetime) -> None:
    """One message about the offer to the waiting customer (once per offer and kind)."""
    waiting_one = offer.entry.appointment
    key = f"{kind}:{offer.id}"
    payload = {"offer": offer.id}
    add(session, waiting_one, kind, customer_email(waiting_one), now=now, payload=payload, key=key)


def _offer_was_sent(session: Session, offer: WaitlistOffer) -> bool:
    return (
        session.scalar(
            select(Notification.id).where(
                Notification.idempotency_key == f"{Kind.WAITLIST_OFFER}:{offer.id}",
                Notification.state == NotificationState.SENT,
            )
        )
        is not None
    )
