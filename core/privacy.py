"""GDPR: retention of online requests, a customer's data export, and erasure.

Practices keep appointments for their statistics, but the personal data of requests that
never became a customer relationship (cancelled, declined, never linked) has no purpose once
the appointment is long past. Anonymising keeps the row (type, time, status) and removes who
it was. Reasons, history notes (they name customers) and messages are cleared too: a
cancellation reason may name an illness.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core import audit
from core.models import (
    Appointment,
    CoordinationRequest,
    Customer,
    Notification,
    Practice,
    Status,
    StatusChange,
    StatusKind,
)

REDACTED = "–"
BATCH = 500


def anonymise_expired(session: Session, now: datetime) -> int:
    """Anonymise past requests beyond each practice's retention period; returns how many."""
    total = 0
    for practice in session.scalars(select(Practice)).all():
        cutoff = now - timedelta(days=practice.retention_days)
        while True:
            ids = session.scalars(
                select(Appointment.id)
                .join(Status, Appointment.status_id == Status.id)
                .where(
                    Appointment.practice_id == practice.id,
                    Appointment.anonymized_at.is_(None),
                    Appointment.end < cutoff,
                    or_(
                        Status.kind.in_((StatusKind.CANCELLED, StatusKind.DECLINED)),
                        Appointment.customer_id.is_(None),
                    ),
                )
                .limit(BATCH)
            ).all()
            if not ids:
                break
            _anonymise(session, ids, now)
            session.commit()
            total += len(ids)
    return total


def _anonymise(session: Session, appointment_ids: list[int], now: datetime) -> None:
    session.execute(
        update(Appointment)
        .where(Appointment.id.in_(appointment_ids))
        .values(
            req_salutation="",
            req_first_name=REDACTED,
            req_last_name=REDACTED,
            req_email="",
            req_phone="",
            req_message="",
            anonymized_at=now,
        )
    )
    session.execute(
        update(StatusChange)
        .where(StatusChange.appointment_id.in_(appointment_ids))
        .values(reason="", note_kind=None, note_params={})
    )
    session.execute(
        update(Notification)
        .where(Notification.appointment_id.in_(appointment_ids))
        .values(recipient=REDACTED, payload={}, last_error="")
    )


EXPORT_VERSION = 2
# The columns of a history row the export carries; a new column is exported by naming it here.
HISTORY_COLUMNS = ("at", "by", "reason", "note_kind", "note_params")
MESSAGE_COLUMNS = ("kind", "channel", "recipient", "state", "not_before", "sent_at", "created_at")
AUDIT_COLUMNS = ("at", "action", "target", "target_id", "params")
REQUEST_COLUMNS = (
    "recipients",
    "allow_decline",
    "message",
    "send_after",
    "sent_at",
    "withdrawn_at",
    "outcome",
    "answered_at",
    "created_at",
)


def export_customer(session: Session, customer: Customer) -> dict[str, Any]:
    """Everything stored about one customer, as JSON-ready data (Art. 15 GDPR).

    The shape is documented in docs/privacy-export.md; messages are only those addressed to
    the customer (not the staff copies of their appointments).
    """
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.customer_id == customer.id)
        .order_by(Appointment.start)
    ).all()
    requests = session.scalars(
        select(CoordinationRequest)
        .where(CoordinationRequest.customer_id == customer.id)
        .order_by(CoordinationRequest.created_at)
    ).all()
    return {
        "version": EXPORT_VERSION,
        "customer": {
            "salutation": customer.salutation,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "preferred_channel": str(customer.preferred_channel),
            "notes": customer.notes,
            "created_at": customer.created_at.isoformat(),
        },
        "appointments": [_appointment_data(a) for a in appointments],
        "please_confirm_requests": [
            {
                "appointment_ids": [a.id for a in r.appointments],
                **_columns(r, REQUEST_COLUMNS),
            }
            for r in requests
        ],
        "messages": [
            _columns(n, MESSAGE_COLUMNS) | {"appointment_id": n.appointment_id}
            for n in _messages_to(session, customer, appointments, requests)
        ],
        "audit": [_columns(e, AUDIT_COLUMNS) for e in audit.concerning(session, customer.id)],
    }


def _messages_to(session: Session, customer: Customer, appointments, requests) -> list:
    """Outbox rows of the customer's appointments and requests sent to one of their addresses."""
    addresses = {customer.email, customer.phone}
    addresses |= {a.req_email for a in appointments} | {a.req_phone for a in appointments}
    addresses = {x.lower() for x in addresses if x}
    rows = session.scalars(
        select(Notification)
        .where(
            or_(
                Notification.appointment_id.in_([a.id for a in appointments]),
                Notification.coordination_request_id.in_([r.id for r in requests]),
            )
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()
    return [n for n in rows if n.recipient.lower() in addresses]


def _appointment_data(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.id,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "type": a.type.name,
        "branch": a.branch.name,
        "status": a.status.name,
        "source": str(a.source),
        "submitted": {
            "salutation": a.req_salutation,
            "first_name": a.req_first_name,
            "last_name": a.req_last_name,
            "email": a.req_email,
            "phone": a.req_phone,
            "message": a.req_message,
        },
        "consent_at": a.consent_at.isoformat() if a.consent_at else None,
        "consent_privacy_url": a.consent_privacy_url,
        "history": [
            {
                "from": c.from_status.name if c.from_status else None,
                "to": c.to_status.name if c.to_status else None,
                **_columns(c, HISTORY_COLUMNS),
            }
            for c in a.history
        ],
    }


def _columns(row, names: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of a row as JSON values (instants as ISO 8601, enums as text)."""
    return {name: _json(getattr(row, name)) for name in names}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def erase_customer(session: Session, customer: Customer, now: datetime) -> int:
    """Erase a customer (Art. 17 GDPR): anonymise their appointments, delete the row.

    The appointments stay, unlinked and anonymous, so the practice's statistics and calendar
    remain whole. Returns the number of appointments anonymised. Commits once.
    """
    ids = session.scalars(
        select(Appointment.id).where(Appointment.customer_id == customer.id)
    ).all()
    if ids:
        _anonymise(session, list(ids), now)
        session.execute(update(Appointment).where(Appointment.id.in_(ids)).values(customer_id=None))
    session.execute(  # an unsent please-confirm email must not go out to a redacted address
        update(CoordinationRequest)
        .where(
            CoordinationRequest.customer_id == customer.id,
            CoordinationRequest.sent_at.is_(None),
            CoordinationRequest.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
    )
    session.execute(
        update(CoordinationRequest)
        .where(CoordinationRequest.customer_id == customer.id)
        .values(customer_id=None, recipients=REDACTED, message="")
    )
    session.delete(customer)
    session.commit()
    return len(ids)
