"""The audit log: who of the staff did what to which appointment, customer or setting, when.

Rather than every use case remembering to write an entry (and one forgetting), the console
names the acting staff member on the session (`act_as`) and every flush of that session
writes one entry per audited row it created, changed or deleted, in the same transaction.
Entries hold ids, field names, status names and instants, never a customer's personal data,
so erasing a customer leaves nothing here that names them; `customer_id` ties an entry to
the customer it concerns, for their data export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from core.models import (
    Absence,
    Appointment,
    AppointmentType,
    AuditEntry,
    BlockedContact,
    Branch,
    CoordinationRequest,
    Customer,
    Practice,
    Resource,
    Status,
    User,
    WorkingHours,
)

ACTOR = "audit_actor"
AUDITED = (
    Appointment,
    Customer,
    CoordinationRequest,
    Practice,
    Status,
    AppointmentType,
    Branch,
    Resource,
    WorkingHours,
    Absence,
    User,
    BlockedContact,
)
# Bookkeeping columns that change with every real change and say nothing of their own.
QUIET = frozenset(
    {"updated_at", "holds_slot", "slot_key", "ics_sequence", "language", "ics_uid", "history"}
)
PAGE_SIZE = 100


def act_as(session: Session, *, practice_id: int, user_id: int, now: datetime) -> None:
    """From now on, this session's changes are the given staff member's (one request)."""
    session.info[ACTOR] = (practice_id, user_id, now)


@event.listens_for(Session, "after_flush")
def _write_entries(session: Session, _context) -> None:
    actor = session.info.get(ACTOR)
    if actor is None:
        return
    practice_id, user_id, now = actor
    entries = [
        entry
        for action, objects in (
            ("created", session.new),
            ("changed", session.dirty),
            ("deleted", session.deleted),
        )
        for obj in objects
        if isinstance(obj, AUDITED)
        and (entry := _entry(obj, action, practice_id, user_id, now)) is not None
    ]
    if entries:
        session.connection().execute(AuditEntry.__table__.insert(), entries)


def _entry(obj, action: str, practice_id: int, user_id: int, now: datetime) -> dict | None:
    params = _changes(obj) if action == "changed" else {}
    if action == "changed" and not params:
        return None
    return {
        "practice_id": practice_id,
        "user_id": user_id,
        "at": now,
        "action": action,
        "target": obj.__tablename__,
        "target_id": obj.id,
        "customer_id": _customer_of(obj),
        "params": params,
    }


def _changes(obj) -> dict[str, Any]:
    """The changed fields: names only, but a status as its old and new name and a time as
    its old and new instant (neither is personal data)."""
    state = inspect(obj)
    mapper = state.mapper
    out: dict[str, Any] = {}
    for attr in state.attrs:
        if attr.key in QUIET or attr.key in mapper.relationships and attr.key != "status":
            continue
        history = attr.history
        if not history.has_changes():
            continue
        if attr.key == "status":
            out["status"] = [s.name if s else None for s in (*history.deleted[:1], *history.added)]
        elif attr.key == "status_id":
            continue  # said by "status"
        elif attr.key in ("start", "end") and isinstance(obj, Appointment):
            out[attr.key] = [v.isoformat() for v in (*history.deleted[:1], *history.added)]
        else:
            out.setdefault("fields", []).append(attr.key)
    return out


def _customer_of(obj) -> int | None:
    if isinstance(obj, Customer):
        return obj.id
    if isinstance(obj, Appointment | CoordinationRequest):
        return obj.customer_id or (obj.customer.id if getattr(obj, "customer", None) else None)
    return None


def page(session: Session, practice_id: int, number: int = 1) -> list[AuditEntry]:
    """One page of the practice's log, newest first (PAGE_SIZE + 1 rows: is there more?)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.practice_id == practice_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((max(number, 1) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )


def concerning(session: Session, customer_id: int) -> list[AuditEntry]:
    """The entries about one customer and their appointments, oldest first (their export)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id == customer_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
