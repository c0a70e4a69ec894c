"""The outbox: the Notification rows a change writes inside its own transaction (what each
event writes is core.effects's table), delivered later, exactly once.

Rows are delivered by a worker (see worker.py); writing them here, in the same transaction as
the change, is what makes "nothing lost" hold when Redis or SMTP is down. Idempotency keys
make writing the same message twice a no-op. Delivery locks the row (skipping rows another
worker holds), re-checks that the message is still due and still relevant, sends, and records
the outcome, so a job run twice or by two workers at once sends once.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from core import closures, purposes
from core.models import (
    Appointment,
    Channel,
    CoordinationRequest,
    Notification,
    NotificationState,
    OfferState,
    WaitlistOffer,
)


class Kind:
    """Notification kinds; each has an email template pair `templates/email/<kind>.{txt,html}`."""

    REQUEST_RECEIVED = "request_received"
    CONFIRMATION = "confirmation"
    CONFIRMATION_COPY = "confirmation_copy"
    CANCELLATION = "cancellation"
    STAFF_NEW_REQUEST = "staff_new_request"
    STAFF_CUSTOMER_CANCELLED = "staff_customer_cancelled"
    STAFF_DECLINED = "staff_declined"  # written by core.coordination
    COORDINATION_REQUEST = "coordination_request"
    COORDINATION_UPDATE = "coordination_update"
    REMINDER = "reminder"
    RESCHEDULED = "rescheduled"  # the customer moved their appointment: the new time
    STAFF_CUSTOMER_RESCHEDULED = "staff_customer_rescheduled"
    WAITLIST_OFFER = "waitlist_offer"  # an earlier time is free: take it (core.waitlist)
    WAITLIST_GONE = "waitlist_gone"  # the offered time was taken by someone else
    MANUAL = "manual"  # written by staff from the appointment (core.manual)


# Messages to the customer (and the recipients of their please-confirm emails): written in the
# appointment's language, with the cancel link; the others go to staff in the practice's.
CUSTOMER_KINDS = frozenset(
    {
        Kind.REQUEST_RECEIVED,
        Kind.CONFIRMATION,
        Kind.CANCELLATION,
        Kind.REMINDER,
        Kind.COORDINATION_REQUEST,
        Kind.COORDINATION_UPDATE,
        Kind.RESCHEDULED,
        Kind.WAITLIST_OFFER,
        Kind.WAITLIST_GONE,
        Kind.MANUAL,
    }
)
# Messages about one start time (payload "start"): once the appointment moved on, a newer
# message speaks of its new time and this one is skipped.
TIMED_KINDS = frozenset({Kind.REMINDER, Kind.RESCHEDULED})


def customer_email(appointment: Appointment) -> str:
    """Where customer emails go: the linked customer's address, else the submitted one."""
    if appointment.customer is not None and appointment.customer.email:
        return appointment.customer.email
    return appointment.req_email


def copy_email(appointment: Appointment) -> str:
    """The practice-side copy goes to the resource's address, else the branch's."""
    return appointment.resource.notification_email or appointment.branch.email


def address_key(address: str) -> str:
    """An address as it may appear in an idempotency key: a digest, never the address itself,
    so erasing a customer leaves nothing in the keys that names them."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:20]


def add(
    session: Session,
    appointment: Appointment,
    kind: str,
    recipient: str | None,
    *,
    now: datetime,
    not_before: datetime | None = None,
    channel: Channel = Channel.EMAIL,
    payload: dict | None = None,
    key: str | None = None,
) -> Notification | None:
    """Queue one message unless it has no recipient or an identical one is already queued."""
    if not recipient:
        return None
    key = key or f"{kind}:{appointment.id}:{appointment.ics_sequence}:{address_key(recipient)}"
    exists = session.scalar(select(Notification.id).where(Notification.idempotency_key == key))
    if exists is not None:
        return None
    row = new_row(
        appointment,
        kind,
        recipient,
        now=now,
        not_before=not_before,
        channel=channel,
        payload=payload,
        key=key,
    )
    session.add(row)
    if COLLECTED in session.info:
        session.info[COLLECTED].append(row)
    return row


# Where `add` lists the rows it writes while a caller collects them (core.undo holds them).
COLLECTED = "outbox_collected"
# Where bulk writers (the reminder scan's INSERT … RETURNING, no ORM objects) list the
# (id, not_before) of the pending rows they wrote: the RQ side enqueues them after commit,
# as it does for rows the ORM flushed.
WRITTEN = "outbox_written"


def written(session: Session, rows: list[tuple[int, datetime]]) -> None:
    """Report pending rows written without the ORM, for their delivery jobs."""
    session.info.setdefault(WRITTEN, []).extend(rows)


def new_row(
    appointment: Appointment,
    kind: str,
    recipient: str,
    *,
    now: datetime,
    not_before: datetime | None,
    channel: Channel,
    payload: dict | None,
    key: str,
) -> Notification:
    """The outbox row itself, for callers that checked the key already (the reminder scan
    checks a whole batch of keys in one query)."""
    return Notification(
        practice_id=appointment.practice_id,
        appointment=appointment,
        kind=kind,
        channel=channel,
        recipient=recipient,
        payload=payload or {},
        not_before=not_before or now,
        idempotency_key=key,
        created_at=now,
    )


LIST_LIMIT = 200


def listing(
    session: Session, practice_id: int, *, state: str = "", kind: str | None = None
) -> list[Notification]:
    """The practice's messages, newest first, bounded; optionally of one state (an unknown
    state means all) and one kind. Appointment and customer come loaded, so a page of
    them costs one query."""
    query = (
        select(Notification)
        .where(Notification.practice_id == practice_id)
        .options(joinedload(Notification.appointment).joinedload(Appointment.customer))
        .order_by(Notification.id.desc())
        .limit(LIST_LIMIT)
    )
    if state in {s.value for s in NotificationState}:
        query = query.where(Notification.state == NotificationState(state))
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


# Delivery ---------------------------------------------------------------------------------

# Messages about a freed slot: sent only while the appointment stays cancelled or declined.
CANCELLATION_KINDS = frozenset(
    {Kind.CANCELLATION, Kind.STAFF_CUSTOMER_CANCELLED, Kind.STAFF_DECLINED}
)


class Delivery(enum.StrEnum):
    """What one delivery attempt did."""

    SENT = "sent"
    SKIPPED = "skipped"  # no longer relevant; never sent
    RETRY = "retry"  # failed, tried again after a backoff
    FAILED = "failed"  # failed for the last time
    NOT_DUE = "not_due"  # its time has not come; a later job or the dispatcher delivers it
    DONE = "done"  # already sent, skipped or failed earlier
    BUSY = "busy"  # another worker holds it right now (or it no longer exists)


def due(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    """Ids of pending rows whose time has come, oldest first (the dispatcher's query)."""
    query = (
        select(Notification.id)
        .where(Notification.state == NotificationState.PENDING, Notification.not_before <= now)
        .order_by(Notification.not_before, Notification.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, ids: list[int], now: datetime, limit: int) -> list[int]:
    """Of `ids`, the pending rows whose time has come and that no other delivery holds right
    now (row locks that skip held rows on PostgreSQL), oldest first, at most `limit`: the
    rest of a delivery batch. The caller's transaction holds their locks until it ends; each
    row is then delivered by `deliver`, which locks and re-checks it on its own, so a row
    also reached another way (a dispatcher's new job) is still sent once."""
    if not ids or limit <= 0:
        return []
    query = (
        select(Notification.id)
        .where(
            Notification.id.in_(ids),
            Notification.state == NotificationState.PENDING,
            Notification.not_before <= now,
        )
        .order_by(Notification.not_before, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # SQLite: `deliver` locks one by one
    return list(session.scalars(query))


def due_at(session: Session, ids: list[int]) -> list[tuple[int, datetime]]:
    """(id, not_before) of these rows: when a retry of each is due."""
    query = select(Notification.id, Notification.not_before).where(Notification.id.in_(ids))
    return [(i, at) for i, at in session.execute(query)]


def backoff(attempts: int, base: timedelta) -> timedelta:
    """Exponential: base, 2·base, 4·base, … after the 1st, 2nd, 3rd failed attempt."""
    return base * 2 ** max(attempts - 1, 0)


class Skip:
    """Why a message was not sent, stored on its row (the console shows them translated)."""

    NO_LONGER_DUE = "no longer due: the appointment was cancelled or moved"
    WITHDRAWN = "the please-confirm request was withdrawn"
    STARTED = "the appointment has already started"
    SAME_DAY = "it would arrive on the appointment's own day"
    BRANCH_CLOSED = "the branch is closed that day: move or cancel the appointment"
    OFFER_GONE = "the offered time is taken or the offer has expired"
    UNDONE = "staff undid the change inside its undo window"


def skip_reason(session: Session, row: Notification, now: datetime) -> str | None:
    """Why sending this now would be wrong, or None. A cancelled appointment gets no
    confirmation or reminder, a moved one no reminder for its old time; a withdrawn
    please-confirm request sends nothing; blocked contacts get nothing; and the customer
    never hears of an appointment after it started (a reminder not even on its own day).
    A message staff wrote is sent only while what it says still holds (core.purposes)."""
    if row.coordination_request_id is not None:
        request = session.get(CoordinationRequest, row.coordination_request_id)
        if request is None or request.withdrawn_at is not None:
            return Skip.WITHDRAWN
        if row.kind == Kind.COORDINATION_REQUEST:
            return _request_skip_reason(request, now)
    appointment = row.appointment
    if appointment is None:
        return None
    if appointment.blocked:
        return Skip.NO_LONGER_DUE
    made_for = (row.payload or {}).get("start")
    if row.kind in TIMED_KINDS and made_for and made_for != appointment.start.isoformat():
        return Skip.NO_LONGER_DUE  # moved since: a newer message speaks of the new time
    if row.kind == Kind.MANUAL:
        if not purposes.still_true(row.payload or {}, appointment):
            return Skip.NO_LONGER_DUE
    elif appointment.status.kind.frees_slot != (row.kind in CANCELLATION_KINDS):
        return Skip.NO_LONGER_DUE
    if row.kind in CUSTOMER_KINDS and appointment.start <= now:
        return Skip.STARTED
    if row.kind == Kind.REMINDER:
        return reminder_too_late(appointment, now) or _closed_that_day(session, appointment)
    if row.kind == Kind.WAITLIST_OFFER:
        return _offer_skip_reason(session, row, now)
    return None


def _closed_that_day(session: Session, appointment: Appointment) -> str | None:
    """A reminder would send the customer to a closed door (the day became a holiday after
    booking); staff see the reason in the reminder log and move or cancel the appointment."""
    if closures.closed_on(session, appointment.branch, appointment.start) is None:
        return None
    return Skip.BRANCH_CLOSED


def _offer_skip_reason(session: Session, row: Notification, now: datetime) -> str | None:
    """An offer leaves only while it is open, unexpired and its time still free."""
    offer = session.get(WaitlistOffer, (row.payload or {}).get("offer", 0))
    if offer is None or offer.state is not OfferState.OPEN or now >= offer.expires_at:
        return Skip.OFFER_GONE
    taken = session.scalar(
        select(Appointment.id)
        .where(
            Appointment.resource_id == offer.resource_id,
            Appointment.busy_start < offer.end,
            Appointment.busy_end > offer.start,
            Appointment.holds_slot.is_(True),
        )
        .limit(1)
    )
    return Skip.OFFER_GONE if taken is not None else None


def _request_skip_reason(request: CoordinationRequest, now: datetime) -> str | None:
    """A please-confirm email asks about the request's appointments that are still active."""
    active = [a for a in request.appointments if not a.status.kind.frees_slot]
    if not active or any(a.blocked for a in active):
        return Skip.NO_LONGER_DUE
    if min(a.start for a in active) <= now:
        return Skip.STARTED
    return None


def reminder_too_late(appointment: Appointment, at: datetime) -> str | None:
    """A reminder that reaches the customer on the appointment's own local day (or later) is
    no reminder: it is skipped, at the scan when its quiet hours end that late, else at
    delivery (a retry, a worker that was down)."""
    zone = ZoneInfo(appointment.practice.timezone)
    day, leaves = appointment.start.astimezone(zone).date(), at.astimezone(zone).date()
    if leaves == day:
        return Skip.SAME_DAY
    return Skip.STARTED if leaves > day else None


def deliver(
    session: Session,
    notification_id: int,
    *,
    now: datetime,
    send: Callable[[Notification], None],
    max_attempts: int,
    retry_base: timedelta,
) -> Delivery:
    """Deliver one row at most once, holding its lock while `send` runs; commits the outcome."""
    row = _lock(session, notification_id)
    verdict = _precheck(row, now)
    if verdict is not None:
        session.rollback()
        return verdict
    reason = skip_reason(session, row, now)
    if reason is not None:
        row.state, row.last_error = NotificationState.SKIPPED, reason
        session.commit()
        return Delivery.SKIPPED
    row.attempts += 1
    try:
        send(row)
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded and retried
        outcome = _record_failure(row, error, now, max_attempts, retry_base)
    else:
        row.state, row.sent_at, row.last_error = NotificationState.SENT, now, ""
        if row.coordination_request_id is not None and row.kind == Kind.COORDINATION_REQUEST:
            request = session.get(CoordinationRequest, row.coordination_request_id)
            request.sent_at = request.sent_at or now
        outcome = Delivery.SENT
    session.commit()
    return outcome


def _lock(session: Session, notification_id: int) -> Notification | None:
    """The row, locked, with what its rules and its email read (appointment, practice,
    branch, resource, type, status, customer) loaded fresh in the same query: one round
    trip instead of one lazy load each. On PostgreSQL only the outbox row is locked."""
    query = select(Notification).where(Notification.id == notification_id).options(_WITH_CONTEXT)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock for the
        # transaction, so deliveries on SQLite run one after the other.
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(attempts=Notification.attempts)
        )
    else:
        query = query.with_for_update(of=Notification, skip_locked=True)
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


_WITH_CONTEXT = joinedload(Notification.appointment).options(
    *(
        joinedload(relation)
        for relation in (
            Appointment.practice,
            Appointment.branch,
            Appointment.resource,
            Appointment.type,
            Appointment.status,
            Appointment.customer,
        )
    )
)


def _precheck(row: Notification | None, now: datetime) -> Delivery | None:
    if row is None:
        return Delivery.BUSY
    if row.state is not NotificationState.PENDING:
        return Delivery.DONE
    if row.not_before > now:
        return Delivery.NOT_DUE
    return None


def _record_failure(
    row: Notification, error: Exception, now: datetime, max_attempts: int, retry_base: timedelta
) -> Delivery:
    row.last_error = f"{type(error).__name__}: {error}"[:1000]
    if row.attempts >= max_attempts:
        row.state = NotificationState.FAILED
        return Delivery.FAILED
    row.not_before = now + backoff(row.attempts, retry_base)
    return Delivery.RETRY


def retry(session: Session, notification: Notification, now: datetime) -> bool:
    """Staff asked to try a failed or skipped message again (the after-commit hook sends it).
    Other states stay as they are; commits once when the message is pending again."""
    if notification.state not in (NotificationState.FAILED, NotificationState.SKIPPED):
        return False
    notification.state = NotificationState.PENDING
    notification.attempts = 0
    notification.not_before = now
    notification.last_error = ""
    session.commit()
    return True
