"""What front-desk staff do with a request: link a customer, create one, move its status.

Each use case loads, acts through the domain and commits once, so the change, its history
row and the messages it causes land together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import booking, effects, numbers, undo, workflow
from core.models import (
    Actor,
    Appointment,
    Channel,
    CoordinationRequest,
    Customer,
    NoteKind,
    Status,
    StatusKind,
)

CUSTOMER_FIELDS = ("salutation", "first_name", "last_name", "email", "phone")


class NotFound(Exception):
    """No such row in this practice (callers answer 404)."""


def owned(session: Session, model, row_id: int, practice_id: int):
    """A row of the given practice, or NotFound: every console lookup goes through here."""
    if not numbers.is_id(row_id):  # beyond any id; the database would refuse the number
        raise NotFound()
    row = session.get(model, row_id)
    if row is None or row.practice_id != practice_id:
        raise NotFound()
    return row


def set_status(
    session: Session,
    appointment: Appointment,
    status_id: int,
    *,
    user_id: int,
    now: datetime,
    reason: str = "",
) -> None:
    """Move the appointment to one of its practice's statuses; confirming re-checks the slot.
    The messages it causes wait out the practice's undo window (core.undo)."""
    status = owned(session, Status, status_id, appointment.practice_id)
    if status.archived and status.id != appointment.status_id:
        raise workflow.InvalidTransition()  # no longer offered
    if status.kind is StatusKind.CONFIRMED and appointment.status.kind is not StatusKind.CONFIRMED:
        booking.ensure_free(
            session,
            appointment.resource_id,
            appointment.type,
            appointment.start,
            appointment.end,
            exclude_id=appointment.id,
            attendees=appointment.attendees,
            lock=True,
        )
    before = undo.begin(session, appointment)
    happened = workflow.change_status(
        appointment, status, now=now, by=Actor.USER, user_id=user_id, reason=reason
    )
    effects.record(session, happened, now)
    undo.hold(session, appointment, before, user_id=user_id, now=now)
    booking.commit(session)


def suggestions(session: Session, appointment: Appointment, limit: int = 5) -> list[Customer]:
    """Existing customers who may be the requester: same email, same phone, or same name."""
    conditions = []
    if appointment.req_email:
        conditions.append(func.lower(Customer.email) == appointment.req_email.lower())
    if appointment.req_phone:
        conditions.append(Customer.phone == appointment.req_phone)
    if appointment.req_last_name:
        conditions.append(
            (func.lower(Customer.last_name) == appointment.req_last_name.lower())
            & (func.lower(Customer.first_name) == appointment.req_first_name.lower())
        )
    if not conditions:
        return []
    return list(
        session.scalars(
            select(Customer)
            .where(Customer.practice_id == appointment.practice_id, or_(*conditions))
            .order_by(Customer.last_name, Customer.first_name)
            .limit(limit)
        )
    )


def differences(appointment: Appointment, customer: Customer) -> dict[str, tuple[str, str]]:
    """Fields where the request says something else than the customer's stored data."""
    out = {}
    for name in CUSTOMER_FIELDS:
        submitted = getattr(appointment, f"req_{name}") or ""
        stored = getattr(customer, name) or ""
        if submitted and submitted.strip().lower() != stored.strip().lower():
            out[name] = (stored, submitted)
    return out


def link_customer(
    session: Session,
    appointment: Appointment,
    customer_id: int,
    *,
    user_id: int,
    now: datetime,
    take: tuple[str, ...] = (),
) -> None:
    """Link the request to a customer; only the fields staff chose (`take`) are overwritten."""
    customer = owned(session, Customer, customer_id, appointment.practice_id)
    for name in take:
        if name in CUSTOMER_FIELDS and getattr(appointment, f"req_{name}"):
            setattr(customer, name, getattr(appointment, f"req_{name}"))
    appointment.customer = customer
    appointment.updated_at = now
    workflow.add_note(
        appointment, NoteKind.CUSTOMER_LINKED, _customer_note(customer), now=now, user_id=user_id
    )
    session.commit()


def request_values(appointment: Appointment) -> dict[str, str]:
    """The customer form prefilled from what the requester typed."""
    return {
        "salutation": appointment.req_salutation,
        "first_name": appointment.req_first_name,
        "last_name": appointment.req_last_name,
        "email": appointment.req_email,
        "phone": appointment.req_phone,
        "preferred_channel": Channel.EMAIL if appointment.req_email else Channel.SMS,
        "notes": "",
    }


def create_customer_from_request(
    session: Session,
    appointment: Appointment,
    *,
    user_id: int,
    now: datetime,
    values: dict[str, str] | None = None,
) -> Customer:
    """A new customer for an unlinked request, from the request itself or from the values
    staff checked in the prefilled form; linked to the request and noted. Commits once."""
    customer = Customer(practice_id=appointment.practice_id, last_name="", created_at=now)
    _fill(customer, values or request_values(appointment))
    customer.last_name = customer.last_name or "?"
    session.add(customer)
    session.flush()  # the id, for the history note
    appointment.customer = customer
    appointment.updated_at = now
    workflow.add_note(
        appointment, NoteKind.CUSTOMER_CREATED, _customer_note(customer), now=now, user_id=user_id
    )
    session.commit()
    return customer


def _customer_note(customer: Customer) -> dict:
    """The parameters of a linked/created note: the name as it was then, the id to find it."""
    return {"customer_id": customer.id, "name": customer.full_name}


def inbox_version(session: Session, practice_id: int) -> str:
    """Changes whenever any appointment of the practice changes: the inbox's ETag."""
    count, latest = session.execute(
        select(func.count(Appointment.id), func.max(Appointment.updated_at)).where(
            Appointment.practice_id == practice_id
        )
    ).one()
    return f"{count}-{latest.timestamp() if latest else 0}"


def merge_customers(
    session: Session, keep: Customer, duplicate: Customer, *, user_id: int, now: datetime
) -> int:
    """Merge a duplicate into `keep`: its appointments move over (each noted in its history),
    fields `keep` lacks are filled from the duplicate, the duplicate is deleted. Returns how
    many appointments moved. Commits once."""
    if keep.id == duplicate.id or keep.practice_id != duplicate.practice_id:
        raise NotFound()
    for name in (*CUSTOMER_FIELDS, "notes"):
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
    moved = list(
        session.scalars(select(Appointment).where(Appointment.customer_id == duplicate.id))
    )
    for appointment in moved:
        appointment.customer = keep
        workflow.add_note(
            appointment,
            NoteKind.CUSTOMER_MERGED,
            {"name": duplicate.full_name, "duplicate_id": duplicate.id, "keep_id": keep.id},
            now=now,
            user_id=user_id,
        )
    session.execute(
        CoordinationRequest.__table__.update()
        .where(CoordinationRequest.customer_id == duplicate.id)
        .values(customer_id=keep.id)
    )
    session.delete(duplicate)
    session.commit()
    return len(moved)


def save_customer(
    session: Session,
    customer: Customer | None,
    *,
    practice_id: int,
    values: dict[str, str],
    now: datetime,
) -> Customer:
    """Create (`customer` None) or edit a customer from validated form values; commits once."""
    if customer is None:
        customer = Customer(practice_id=practice_id, last_name="", created_at=now)
        session.add(customer)
    _fill(customer, values)
    session.commit()
    return customer


def _fill(customer: Customer, values: dict[str, str]) -> None:
    customer.salutation, customer.first_name = values["salutation"], values["first_name"]
    customer.last_name, customer.notes = values["last_name"], values["notes"]
    customer.email, customer.phone = values["email"] or None, values["phone"] or None
    customer.preferred_channel = Channel(values["preferred_channel"])
