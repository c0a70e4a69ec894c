"""What a message staff write by hand claims, and when that claim is true.

A manual message ("Kunde über einen Termin benachrichtigen") has a purpose: it confirms the
appointment, announces its new time, announces its cancellation, or carries free text. Each
claim must hold when staff write it and still hold when the worker sends it, so one predicate
serves both: the use case (core.manual) refuses a false claim with a clear message, and
delivery (core.outbox.skip_reason) skips a message the appointment has contradicted since
(cancelled, moved again, confirmation withdrawn). The customer never hears after the fact:
nothing about an appointment that has started.
"""

from __future__ import annotations

import enum
from datetime import datetime

from core.models import Appointment, NoteKind, StatusKind


class Purpose(enum.StrEnum):
    CONFIRMATION = "confirmation"
    MOVED = "moved"
    CANCELLED = "cancelled"
    FREE_TEXT = "free_text"


# Purposes whose email carries Termin.ics (what the customer's calendar should now hold) …
CALENDAR = frozenset({Purpose.CONFIRMATION, Purpose.MOVED, Purpose.CANCELLED})
# … and the cancel link (an appointment the customer still has).
CANCEL_LINK = frozenset({Purpose.CONFIRMATION, Purpose.MOVED})


class Refusal:
    """Why a purpose cannot be sent now (English msgids the console translates)."""

    NO_CUSTOMER = "Link a customer to the appointment first."
    BLOCKED = "The contact of this appointment is blocked; it gets no messages."
    STARTED = "The appointment has already started; the customer is not told about it afterwards."
    NOT_CONFIRMED = "Only a confirmed appointment can be confirmed: set a confirmed status first."
    NOT_MOVED = "This appointment was never moved; move it first."
    CANCELLED = "The appointment is cancelled; only a cancellation or free text fits it."
    NOT_CANCELLED = "The appointment is not cancelled; set a cancelled status first."


def refusal(appointment: Appointment, purpose: Purpose, now: datetime) -> str | None:
    """Why sending a message of `purpose` about the appointment at `now` would be wrong."""
    if appointment.customer_id is None:
        return Refusal.NO_CUSTOMER
    if appointment.blocked:
        return Refusal.BLOCKED
    if appointment.start <= now:
        return Refusal.STARTED
    return contradiction(appointment, purpose)


def contradiction(appointment: Appointment, purpose: Purpose) -> str | None:
    """Why the appointment's state contradicts what a message of `purpose` says, or None."""
    cancelled = appointment.status.kind.frees_slot
    if purpose is Purpose.CANCELLED:
        return None if cancelled else Refusal.NOT_CANCELLED
    if purpose is Purpose.FREE_TEXT:
        return None
    if cancelled:
        return Refusal.CANCELLED
    if purpose is Purpose.CONFIRMATION and appointment.status.kind is not StatusKind.CONFIRMED:
        return Refusal.NOT_CONFIRMED
    if purpose is Purpose.MOVED and not any(
        h.note_kind is NoteKind.MOVED for h in appointment.history
    ):
        return Refusal.NOT_MOVED
    return None


def still_true(payload: dict, appointment: Appointment) -> bool:
    """At delivery: the appointment keeps the time the message was written for, and its
    state still fits the purpose (a confirmation of an appointment cancelled since is not
    sent; neither is free text about a time that has moved)."""
    try:
        purpose = Purpose(payload.get("purpose", ""))
    except ValueError:
        return False
    if payload.get("start") != appointment.start.isoformat():
        return False
    if purpose is Purpose.FREE_TEXT:  # written for the state it had then
        return payload.get("cancelled") == appointment.status.kind.frees_slot
    return contradiction(appointment, purpose) is None
