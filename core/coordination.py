"""Coordination requests: staff ask a customer by email to confirm appointments agreed by
phone; the customer accepts (or, when allowed, declines) with one signed link.

Sending waits a grace period so staff can take a request back: the outbox row is written at
once with `not_before = send_after`, and delivery re-checks `withdrawn_at` (core.outbox), so a
withdrawn request sends nothing. Answers act once; a second click reports the first answer.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import effects, events, outbox, tokens
from core.models import (
    Actor,
    Appointment,
    CoordinationRequest,
    NoteKind,
    Notification,
    NotificationState,
    Practice,
    Status,
    StatusKind,
)
from core.workflow import add_note, change_status


class Kind:
    """Email kinds of this module (templates/email/<kind>.{txt,html})."""

    REQUEST = outbox.Kind.COORDINATION_REQUEST
    UPDATE = outbox.Kind.COORDINATION_UPDATE
    STAFF_DECLINED = outbox.Kind.STAFF_DECLINED


class State(enum.StrEnum):
    """What the badge on an appointment shows."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"  # its time has come, the mail still waits in the outbox (retries)
    FAILED = "failed"  # every attempt failed: nobody got it
    NOT_SENT = "not_sent"  # delivery dropped it (its appointments were cancelled meanwhile)
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class Answer(enum.StrEnum):
    """The result of following a link."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_ACCEPTED = "already_accepted"
    ALREADY_DECLINED = "already_declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"


class InvalidRequest(Exception):
    """A request that cannot be created as asked (no appointments, no recipient, …)."""


# The history note of an answer; the console says it in the staff member's language.
NOTES = {Action.ACCEPT: NoteKind.ACCEPTED, Action.DECLINE: NoteKind.DECLINED}

# Tokens are long-lived by signature; the real expiry is the first appointment's start.
TOKEN_MAX_AGE = 366 * 24 * 3600


def week_of(appointment: Appointment) -> tuple[datetime, datetime]:
    """The practice-local Monday-to-Monday week holding the appointment, in UTC."""
    zone = ZoneInfo(appointment.practice.timezone)
    local = appointment.start.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + timedelta(days=7)


def proposals(session: Session, appointment: Appointment) -> list[Appointment]:
    """The same customer's other active appointments in the same week, to bundle."""
    if appointment.customer_id is None:
        return []
    start, end = week_of(appointment)
    rows = session.scalars(
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.practice_id == appointment.practice_id,
            Appointment.customer_id == appointment.customer_id,
            Appointment.id != appointment.id,
            Appointment.start >= start,
            Appointment.start < end,
            Appointment.blocked.is_(False),
            Status.kind.notin_([StatusKind.CANCELLED, StatusKind.DECLINED]),
        )
        .order_by(Appointment.start)
    )
    return list(rows)


def default_recipients(appointment: Appointment) -> str:
    return outbox.customer_email(appointment) or ""


MAX_RECIPIENTS = 5
MAX_MESSAGE = 2000
_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")


def parse_recipients(text: str) -> list[str]:
    """Comma/semicolon/space separated addresses (at most five); each must look like one."""
    parts = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",")]
    addresses = list(dict.fromkeys(p for p in parts if p))
    if (
        not addresses
        or len(addresses) > MAX_RECIPIENTS
        or any(len(a) > 254 or not _ADDRESS.fullmatch(a) for a in addresses)
    ):
        raise InvalidRequest("recipients")
    return addresses


def can_start(appointment: Appointment, now: datetime) -> bool:
    """May staff ask the customer to confirm this appointment (linked, active, ahead)?"""
    return (
        appointment.customer_id is not None
        and not appointment.status.kind.frees_slot
        and appointment.start > now
    )


def create(
    session: Session,
    appointments: Iterable[Appointment],
    *,
    recipients: str,
    allow_decline: bool,
    message: str,
    now: datetime,
    user_id: int | None = None,
) -> CoordinationRequest:
    """Write the request and one outbox row per recipient, due after the grace period."""
    chosen = sorted(appointments, key=lambda a: a.start)
    if not chosen or len({(a.practice_id, a.customer_id) for a in chosen}) != 1:
        raise InvalidRequest("appointments")
    if chosen[0].customer_id is None:
        raise InvalidRequest("customer")
    if not all(can_start(a, now) for a in chosen):
        raise InvalidRequest("appointments")
    if len(message) > MAX_MESSAGE:
        raise InvalidRequest("message")
    addresses = parse_recipients(recipients)
    first = chosen[0]
    request = CoordinationRequest(
        practice_id=first.practice_id,
        customer_id=first.customer_id,
        created_by_id=user_id,
        recipients=", ".join(addresses),
        allow_decline=allow_decline,
        message=message.strip(),
        send_after=now + timedelta(minutes=first.practice.coordination_grace_minutes),
        created_at=now,
        appointments=chosen,
    )
    session.add(request)
    session.flush()
    for address in addresses:
        row = outbox.add(
            session,
            first,
            Kind.REQUEST,
            address,
            now=now,
            not_before=request.send_after,
            key=f"{Kind.REQUEST}:{request.id}:{outbox.address_key(address)}",
        )
        row.coordination_request_id = request.id
    return request


def schedule(
    session: Session, appointments: Iterable[Appointment], **fields
) -> CoordinationRequest:
    """Staff send a request (`create`'s checks and rows) and it is committed once; it leaves
    after the grace period."""
    request = create(session, appointments, **fields)
    session.commit()
    return request


def take_back(session: Session, request: CoordinationRequest, now: datetime) -> bool:
    """Staff withdraw a still scheduled request; commits once when it was withdrawn."""
    withdrawn = withdraw(request, now)
    if withdrawn:
        session.commit()
    return withdrawn


def withdraw(request: CoordinationRequest, now: datetime) -> bool:
    """Take a request back while it is still scheduled; True when it was withdrawn."""
    if state(request, now) is not State.SCHEDULED:
        return False
    request.withdrawn_at = now
    return True


def pending_for(session: Session, appointment_id: int) -> list[CoordinationRequest]:
    """Unsent, unwithdrawn requests covering the appointment."""
    return list(
        session.scalars(
            select(CoordinationRequest).where(
                CoordinationRequest.appointments.any(Appointment.id == appointment_id),
                CoordinationRequest.withdrawn_at.is_(None),
                CoordinationRequest.sent_at.is_(None),
            )
        )
    )


def state(
    request: CoordinationRequest, now: datetime, deliveries: Sequence[NotificationState] = ()
) -> State:
    """Where the request stands; `deliveries` are the states of its outbox rows, so that a
    mail still waiting in the outbox (or failed) is never shown as sent."""
    if request.withdrawn_at is not None:
        return State.WITHDRAWN
    if request.outcome == "accepted":
        return State.ACCEPTED
    if request.outcome == "declined":
        return State.DECLINED
    if request.scheduled(now):
        return State.SCHEDULED
    if request.sent_at is not None or NotificationState.SENT in deliveries:
        return State.SENT
    if NotificationState.FAILED in deliveries and NotificationState.PENDING not in deliveries:
        return State.FAILED
    if deliveries and set(deliveries) == {NotificationState.SKIPPED}:
        return State.NOT_SENT
    return State.QUEUED


def deliveries(session: Session, request: CoordinationRequest) -> list[NotificationState]:
    """The states of the request's own emails in the outbox."""
    return list(
        session.scalars(
            select(Notification.state).where(
                Notification.coordination_request_id == request.id,
                Notification.kind == Kind.REQUEST,
            )
        )
    )


def explanation(
    session: Session, request: CoordinationRequest, now: datetime
) -> tuple[State, datetime | None]:
    """The badge's state and the moment its text names (sends at, sent, answered, withdrawn)."""
    current = state(request, now, deliveries(session, request))
    moment = {
        State.SCHEDULED: request.send_after,
        State.QUEUED: request.send_after,
        State.FAILED: request.send_after,
        State.NOT_SENT: request.send_after,
        State.SENT: request.sent_at or request.send_after,
        State.ACCEPTED: request.answered_at,
        State.DECLINED: request.answered_at,
        State.WITHDRAWN: request.withdrawn_at,
    }[current]
    return current, moment


def latest_for(session: Session, appointment: Appointment) -> CoordinationRequest | None:
    """The newest request covering the appointment (what its badge shows)."""
    return session.scalars(
        select(CoordinationRequest)
        .where(
            CoordinationRequest.practice_id == appointment.practice_id,
            CoordinationRequest.appointments.any(Appointment.id == appointment.id),
        )
        .order_by(CoordinationRequest.created_at.desc(), CoordinationRequest.id.desc())
    ).first()


def link_token(secret: str, request: CoordinationRequest, action: Action) -> str:
    return tokens.sign(secret, tokens.Purpose.COORDINATION, [request.id, str(action)])


def read_link(secret: str, token: str) -> tuple[int, Action]:
    """The request id and action a link names; raises tokens.BadToken when forged."""
    data = tokens.read(secret, tokens.Purpose.COORDINATION, token, max_age=TOKEN_MAX_AGE)
    try:
        request_id, action = data
        return int(request_id), Action(action)
    except (TypeError, ValueError) as error:
        raise tokens.BadToken() from error


def find(session: Session, practice: Practice, request_id: int) -> CoordinationRequest | None:
    """A request of this practice (a token signed for another practice finds nothing)."""
    return session.scalars(
        select(CoordinationRequest).where(
            CoordinationRequest.id == request_id,
            CoordinationRequest.practice_id == practice.id,
        )
    ).first()


def preview(request: CoordinationRequest, action: Action, now: datetime) -> Answer | None:
    """What answering would say without acting (None: the button may be shown)."""
    if request.withdrawn_at is not None:
        return Answer.WITHDRAWN
    if request.outcome == "accepted":
        return Answer.ALREADY_ACCEPTED
    if request.outcome == "declined":
        return Answer.ALREADY_DECLINED
    if action is Action.DECLINE and not request.allow_decline:
        return Answer.NOT_ALLOWED
    if now >= min(a.start for a in request.appointments):
        return Answer.EXPIRED
    return None


def answer(
    session: Session, request: CoordinationRequest, action: Action, *, now: datetime
) -> Answer:
    """Accept or decline once, under the request's row lock; commits."""
    session.refresh(request, with_for_update=True)
    refused = preview(request, action, now)
    if refused is not None:
        session.rollback()
        return refused
    kind = StatusKind.CONFIRMED if action is Action.ACCEPT else StatusKind.DECLINED
    target = _status(session, request.practice_id, kind)
    note = NOTES[action]  # the history row's own time says when
    happened: list[events.Event] = []
    for appointment in request.appointments:
        happened += _apply(appointment, target, now, note)
    request.outcome = "accepted" if action is Action.ACCEPT else "declined"
    request.answered_at = now
    effects.record(session, happened, now)
    if action is Action.DECLINE:
        _alert_staff(session, request, now)
    session.commit()
    return Answer.ACCEPTED if action is Action.ACCEPT else Answer.DECLINED


def _status(session: Session, practice_id: int, kind: StatusKind) -> Status:
    return session.scalars(
        select(Status)
        .where(Status.practice_id == practice_id, Status.kind == kind)
        .order_by(Status.is_customer_cancellation, Status.position, Status.id)
    ).first()


def _apply(appointment: Appointment, target: Status, now: datetime, note: NoteKind) -> list:
    """Move one appointment to the answer's status; an appointment already there (or one
    cancelled meanwhile) only gets the history note."""
    if appointment.status.kind in (target.kind, StatusKind.CANCELLED, StatusKind.DECLINED):
        add_note(appointment, note, now=now, by=Actor.CUSTOMER)
        return []
    return change_status(appointment, target, now=now, by=Actor.CUSTOMER, note=note)


def _alert_staff(session: Session, request: CoordinationRequest, now: datetime) -> None:
    first = request.appointments[0]
    row = outbox.add(
        session,
        first,
        Kind.STAFF_DECLINED,
        first.practice.staff_alert_email,
        now=now,
        key=f"{Kind.STAFF_DECLINED}:{request.id}",
    )
    if row is not None:
        row.coordination_request_id = request.id


def declined_counts(session: Session, practice_id: int) -> dict[int, int]:
    """Declined appointments per branch: a branch's tray exists once it holds one."""
    rows = session.execute(
        select(Appointment.branch_id, func.count())
        .join(Status, Appointment.status_id == Status.id)
        .where(Appointment.practice_id == practice_id, Status.kind == StatusKind.DECLINED)
        .group_by(Appointment.branch_id)
    )
    return dict(rows.all())


def declined_tray(session: Session, practice_id: int, branch_id: int) -> list[Appointment]:
    """The branch's "Abgelehnte Termine": declined appointments, newest first."""
    return list(
        session.scalars(
            select(Appointment)
            .join(Status, Appointment.status_id == Status.id)
            .where(
                Appointment.practice_id == practice_id,
                Appointment.branch_id == branch_id,
                Status.kind == StatusKind.DECLINED,
            )
            .order_by(Appointment.start.desc())
        )
    )
