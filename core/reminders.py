"""Automatic appointment reminders: who gets one, by which channel, and when it may leave.

The rules are pure functions of an appointment and the scan's `now`, so they are tested
table-driven without a database. `scan` is the hourly use case: it streams candidate
appointments in id-ordered batches (memory stays flat however large the table), writes one
outbox row per appointment *and start time* (a moved appointment gets a new reminder), and
records every skip with its reason, so staff can see why a customer got nothing.

An online booking nobody has linked to a customer yet is reminded too, at the contact
details it was booked with: its customer already got the booking's receipt or confirmation
at that address and expects the reminder the practice promises, whether or not the front
desk has triaged the booking yet. Its row says so (`payload["unlinked"]`) for the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core import closures, outbox
from core.models import (
    Appointment,
    AppointmentType,
    Branch,
    Channel,
    Customer,
    Notification,
    NotificationState,
    Practice,
    Source,
    Status,
    StatusKind,
)

ACTIVE_KINDS = frozenset({StatusKind.START, StatusKind.PROGRESS, StatusKind.CONFIRMED})
MAX_LEAD_DAYS = 7
BATCH = 1000
SMS_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


@dataclass(frozen=True)
class Route:
    """Where a reminder goes, or why it goes nowhere (`channel` NONE, `reason` set)."""

    channel: Channel
    recipient: str
    reason: str = ""


@dataclass(frozen=True)
class Contact:
    """Who a reminder reaches: the linked customer's details, or the booking's own."""

    preferred_channel: Channel
    email: str | None
    phone: str | None


def contact(appointment: Appointment) -> Customer | Contact:
    """The linked customer, else what the online booking gave. Email comes first there: that
    address already received the booking's receipt or confirmation, while a number typed
    into the widget was never asked whether it wants SMS."""
    if appointment.customer is not None:
        return appointment.customer
    return Contact(Channel.EMAIL, appointment.req_email or None, appointment.req_phone or None)


def reachable(appointment: Appointment) -> bool:
    """A linked customer, or an online booking with the contact details it was made with."""
    return appointment.customer is not None or appointment.source == Source.ONLINE


def branch_codes(practice: Practice) -> frozenset[str]:
    """The practice's branch filter: empty means every branch."""
    return frozenset(
        c.strip() for c in (practice.reminder_branch_codes or "").split(",") if c.strip()
    )


def local_day(practice: Practice, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(practice.timezone)).date()


def eligible(appointment: Appointment, now: datetime) -> bool:
    """Does this appointment get a reminder from a scan at `now` (channel aside)?"""
    practice, kind = appointment.practice, appointment.type
    if not practice.reminders_enabled or not reachable(appointment) or appointment.blocked:
        return False
    if not kind.reminders_allowed or kind.capacity != 1:
        return False
    allowed = ACTIVE_KINDS if practice.reminder_any_active_status else {StatusKind.CONFIRMED}
    if appointment.status.kind not in allowed:
        return False
    codes = branch_codes(practice)
    if codes and appointment.branch.code not in codes:
        return False
    days_ahead = (local_day(practice, appointment.start) - local_day(practice, now)).days
    return 1 <= days_ahead <= max(1, min(practice.reminder_lead_days, MAX_LEAD_DAYS))


def sms_capable(number: str | None) -> bool:
    """A number an SMS can reach: phonenumbers says mobile (or cannot tell it from fixed)."""
    if not number:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in SMS_TYPES


def route(practice: Practice, customer: Customer | Contact) -> Route:
    """The customer's preferred channel when it can be used, else the other one."""
    if customer.preferred_channel == Channel.NONE:
        return Route(Channel.NONE, "", "customer wants no messages")
    sms = practice.reminder_sms_enabled and sms_capable(customer.phone)
    email = practice.reminder_email_enabled and bool(customer.email)
    order = [Channel.SMS, Channel.EMAIL]
    if customer.preferred_channel == Channel.EMAIL:
        order.reverse()
    for channel in order:
        if channel == Channel.SMS and sms:
            return Route(Channel.SMS, customer.phone)
        if channel == Channel.EMAIL and email:
            return Route(Channel.EMAIL, customer.email)
    return Route(Channel.NONE, "", "no SMS-capable number or email address")


def in_quiet_hours(practice: Practice, moment: time) -> bool:
    start, end = practice.quiet_hours_start, practice.quiet_hours_end
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def not_before(practice: Practice, now: datetime) -> datetime:
    """`now`, or the end of the quiet hours (practice-local) when `now` falls in them."""
    zone = ZoneInfo(practice.timezone)
    local = now.astimezone(zone)
    if not in_quiet_hours(practice, local.time()):
        return now
    end = practice.quiet_hours_end
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


def key(appointment: Appointment) -> str:
    """One reminder per appointment and start time."""
    return f"{outbox.Kind.REMINDER}:{appointment.id}:{appointment.start.isoformat()}"


# The scan --------------------------------------------------------------------------------


def _candidates(after_id: int, now: datetime):
    """A coarse SQL pre-filter; `eligible` decides exactly (local days, lead, branch codes)."""
    return (
        select(Appointment)
        .join(Practice, Practice.id == Appointment.practice_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .join(Status, Status.id == Appointment.status_id)
        .where(
            Appointment.id > after_id,
            Practice.reminders_enabled.is_(True),
            or_(Appointment.customer_id.is_not(None), Appointment.source == Source.ONLINE),
            Appointment.blocked.is_(False),
            AppointmentType.reminders_allowed.is_(True),
            AppointmentType.capacity == 1,
            Status.kind.in_(ACTIVE_KINDS),
            Appointment.start > now,
            Appointment.start < now + timedelta(days=MAX_LEAD_DAYS + 2),
        )
        .options(
            # One IN query per relation and batch instead of joined columns on every row: a
            # dense batch names the same practice, type, status and branch a thousand times.
            selectinload(Appointment.practice),
            selectinload(Appointment.type),
            selectinload(Appointment.status),
            selectinload(Appointment.branch),
            selectinload(Appointment.customer),
        )
        .order_by(Appointment.id)
        .limit(BATCH)
    )


def scan(session: Session, now: datetime) -> int:
    """Queue the reminders due at `now`; returns how many rows it wrote (sent or skipped).

    Commits once per batch. Running twice, or twice at once, writes nothing twice: the
    idempotency key is unique, and a batch that meets another scan's row falls back to one
    savepoint per row.
    """
    written, after_id = 0, 0
    while True:
        batch = session.scalars(_candidates(after_id, now)).all()
        if not batch:
            return written
        after_id = batch[-1].id
        todo = [a for a in batch if eligible(a, now)]
        done = _existing_keys(session, [a.id for a in todo])
        todo = [a for a in todo if key(a) not in done]
        written += _write(session, todo, _closed_days(session, todo), now)
        session.commit()


def _existing_keys(session: Session, ids: list[int]) -> set[str]:
    if not ids:
        return set()
    query = select(Notification.idempotency_key).where(
        Notification.appointment_id.in_(ids), Notification.kind == outbox.Kind.REMINDER
    )
    return set(session.scalars(query))


def _closed_days(session: Session, appointments: list[Appointment]) -> set[tuple[int, date]]:
    """(branch id, local day) of the batch's days on which the branch is closed."""
    by_branch: dict[int, tuple[Branch, list[date]]] = {}
    for a in appointments:
        by_branch.setdefault(a.branch_id, (a.branch, []))[1].append(local_day(a.practice, a.start))
    return {
        (branch.id, day)
        for branch, days in by_branch.values()
        for day in closures.for_branch(session, branch, min(days), max(days))
    }


def replan(session: Session, appointment: Appointment, now: datetime) -> None:
    """A moved appointment's reminder for its new time, written with the move when it is due
    already (a move to tomorrow must not wait for the hourly scan); the reminder for the old
    time is skipped at delivery. A concurrent scan's row for the same time stands."""
    if not eligible(appointment, now):
        return
    written = select(Notification.id).where(Notification.idempotency_key == key(appointment))
    if session.scalar(written) is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                Notification(**_row(appointment, _closed_days(session, [appointment]), now))
            )
            session.flush()
    except IntegrityError:
        pass


def _row(appointment: Appointment, closed: set[tuple[int, date]], now: datetime) -> dict:
    """The reminder's outbox row (its column values, for one bulk INSERT of a batch): due at
    `now` or when the quiet hours end; skipped, with
    the reason, when no channel reaches the customer, it would leave only on the
    appointment's own day (booked 21:00 for 07:30 tomorrow, quiet until 08:00), or the
    branch is closed that day (it became a holiday after booking: the customer would come
    to a closed door; staff see the reason in the reminder log)."""
    practice = appointment.practice
    to = route(practice, contact(appointment))
    leaves = not_before(practice, now)
    shut = (appointment.branch_id, local_day(practice, appointment.start)) in closed
    reason = (
        to.reason
        or (outbox.Skip.BRANCH_CLOSED if shut else None)
        or outbox.reminder_too_late(appointment, leaves)
    )
    return {
        "practice_id": appointment.practice_id,
        "appointment_id": appointment.id,
        "kind": outbox.Kind.REMINDER,
        "channel": to.channel,
        "recipient": to.recipient or "-",
        "payload": {"start": appointment.start.isoformat()}
        | ({"unlinked": True} if appointment.customer is None else {}),
        "not_before": leaves,
        "state": NotificationState.SKIPPED if reason else NotificationState.PENDING,
        "attempts": 0,
        "last_error": reason or "",
        "idempotency_key": key(appointment),
        "created_at": now,
    }


def _write(
    session: Session,
    appointments: list[Appointment],
    closed: set[tuple[int, date]],
    now: datetime,
) -> int:
    """Insert a batch's reminders with one INSERT … RETURNING in one savepoint (no ORM
    objects: the outbox rows are not needed as objects, and building them was most of a
    dense scan's time); their pending rows are reported for their delivery jobs. When a
    concurrent scan wrote one of them first (the idempotency key is unique), go row by row
    and leave out what is there."""
    rows = [_row(a, closed, now) for a in appointments]
    if not rows:
        return 0
    try:
        with session.begin_nested():
            inserted = list(session.execute(_INSERT, rows))
    except IntegrityError:
        inserted = []
        for row in rows:
            try:
                with session.begin_nested():
                    inserted += session.execute(_INSERT, [row])
            except IntegrityError:  # the other scan's row stands
                continue
    outbox.written(
        session, [(i, at) for i, at, state in inserted if state == NotificationState.PENDING]
    )
    return len(inserted)


_INSERT = insert(Notification).returning(
    Notification.id, Notification.not_before, Notification.state, sort_by_parameter_order=True
)
