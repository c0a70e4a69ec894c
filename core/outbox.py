"""The outbox: turn domain events into Notification rows inside the causing transaction,
and deliver them later, exactly once.

Rows are delivered by a worker (see worker.py); writing them here, in the same transaction as
the change, is what makes "nothing lost" hold when Redis or SMTP is down. Idempotency keys
make writing the same message twice a no-op. Delivery locks the row (skipping rows another
worker holds), re-checks that the message is still due and still relevant, sends, and records
the outcome, so a job run twice or by two workers at once sends once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from core import events
from core.models import (
    Actor,
    Appointment,
    Channel,
    CoordinationRequest,
    Notification,
    NotificationState,
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
    REMINDER = "reminder"


def customer_email(appointment: Appointment) -> str:
    """Where customer emails go: the linked customer's address, else the submitted one."""
    if appointment.customer is not None and appointment.customer.email:
        return appointment.customer.email
    return appointment.req_email


def copy_email(appointment: Appointment) -> str:
    """The practice-side copy goes to the resource's address, else the branch's."""
    return appointment.resource.notification_email or appointment.branch.email


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
    key = key or f"{kind}:{appointment.id}:{appointment.ics_sequence}:{recipient.lower()}"
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
    return row


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


def record(session: Session, happened: Iterable[events.Event], now: datetime) -> None:
    """Write the messages each event causes (the caller commits them with the change)."""
    happened = list(happened)
    for event in happened:
        appointment = session.get(Appointment, event.appointment_id)
        if appointment is None or appointment.blocked:
            continue
        for kind, recipient, payload in _messages(event, appointment):
            add(session, appointment, kind, recipient, now=now, payload=payload)
    # Imported here: coordination builds on this module (it queues its emails through add).
    from core import coordination

    coordination.follow(session, happened, now)


def _messages(event: events.Event, a: Appointment) -> list[tuple[str, str | None, dict]]:
    staff = a.practice.staff_alert_email
    match event:
        case events.AppointmentRequested(needs_approval=True):
            return [
                (Kind.REQUEST_RECEIVED, customer_email(a), {}),
                (Kind.STAFF_NEW_REQUEST, staff, {}),
            ]
        case events.AppointmentRequested():
            return [(Kind.STAFF_NEW_REQUEST, staff, {})]
        case events.AppointmentConfirmed():
            return [
                (Kind.CONFIRMATION, customer_email(a), {}),
                (Kind.CONFIRMATION_COPY, copy_email(a), {}),
            ]
        case events.AppointmentCancelled(by=by, reason=reason):
            out = [(Kind.CANCELLATION, customer_email(a), {"reason": reason, "by": str(by)})]
            if by is Actor.CUSTOMER:
                out.append((Kind.STAFF_CUSTOMER_CANCELLED, staff, {}))
            return out
    return []


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


def backoff(attempts: int, base: timedelta) -> timedelta:
    """Exponential: base, 2·base, 4·base, … after the 1st, 2nd, 3rd failed attempt."""
    return base * 2 ** max(attempts - 1, 0)


def still_relevant(session: Session, row: Notification) -> bool:
    """Would sending this now still be right? A cancelled appointment gets no confirmation
    or reminder, a moved one no reminder for its old time; a withdrawn coordination request
    sends nothing; blocked contacts get nothing."""
    if row.coordination_request_id is not None:
        request = session.get(CoordinationRequest, row.coordination_request_id)
        if request is None or request.withdrawn_at is not None:
            return False
    appointment = row.appointment
    if appointment is None:
        return True
    if appointment.blocked:
        return False
    made_for = (row.payload or {}).get("start")
    if row.kind == Kind.REMINDER and made_for and made_for != appointment.start.isoformat():
        return False  # moved since: the scan writes a new reminder for the new time
    cancelled = appointment.status.kind.frees_slot
    return cancelled if row.kind in CANCELLATION_KINDS else not cancelled


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
    if not still_relevant(session, row):
        row.state = NotificationState.SKIPPED
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
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock for the
        # transaction, so deliveries on SQLite run one after the other.
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(attempts=Notification.attempts)
        )
        query = select(Notification).where(Notification.id == notification_id)
    else:
        query = (
            select(Notification)
            .where(Notification.id == notification_id)
            .with_for_update(skip_locked=True)
        )
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


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
