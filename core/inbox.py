"""What front-desk staff see of the online requests: the inbox and the processed list.

Every online booking passes triage: it stays in the inbox while it has no linked customer,
whatever its status (a type without approval books straight into a confirmed status and
would otherwise never be looked at), and so does anything in a start-kind status. The
processed list is the rest of the online bookings, newest first, searched and filtered in
SQL and read a page at a time, so it stays fast and complete however long the practice runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, joinedload

from core.models import Appointment, Customer, Practice, Source, Status, StatusKind

OPEN_LIMIT = 200
PAGE_SIZE = 25
MIN_PHONE_DIGITS = 4  # fewer digits would match almost every number


def is_open():
    """The inbox's condition: unlinked online bookings and start-kind requests."""
    return or_(
        Status.kind == StatusKind.START,
        and_(Appointment.source == Source.ONLINE, Appointment.customer_id.is_(None)),
    )


def _requests(practice_id: int):
    return (
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(Appointment.practice_id == practice_id, Appointment.blocked.is_(False))
    )


def open_requests(
    session: Session, practice_id: int, *, branch_id: int | None = None, limit: int = OPEN_LIMIT
) -> list[Appointment]:
    """The inbox, soonest first."""
    query = _requests(practice_id).where(is_open()).order_by(Appointment.start, Appointment.id)
    if branch_id:
        query = query.where(Appointment.branch_id == branch_id)
    return list(session.scalars(query.options(*_shown()).limit(limit)))


def open_count(session: Session, practice_id: int, *, branch_id: int | None = None) -> int:
    """How many requests wait in the inbox (the navigation's badge, the inbox's title)."""
    query = _requests(practice_id).where(is_open()).with_only_columns(func.count(Appointment.id))
    if branch_id:
        query = query.where(Appointment.branch_id == branch_id)
    return session.scalar(query) or 0


def _shown():
    """What a row shows, loaded with the row (one query for the page)."""
    return (
        joinedload(Appointment.type),
        joinedload(Appointment.branch),
        joinedload(Appointment.resource),
        joinedload(Appointment.status),
        joinedload(Appointment.customer),
    )


# Exact matches ---------------------------------------------------------------------------


def _name(first: str | None, last: str | None) -> tuple[str, str]:
    return ((first or "").strip().casefold(), (last or "").strip().casefold())


def is_exact(appointment: Appointment, customer: Customer) -> bool:
    """The same person for sure enough to suggest first: same name, and the same email
    address or the same phone number (both stored normalised, E.164)."""
    if _name(appointment.req_first_name, appointment.req_last_name) != _name(
        customer.first_name, customer.last_name
    ):
        return False
    same_email = bool(appointment.req_email) and (
        appointment.req_email.casefold() == (customer.email or "").casefold()
    )
    return same_email or (bool(appointment.req_phone) and appointment.req_phone == customer.phone)


def exact_matches(
    session: Session, practice_id: int, appointments: list[Appointment]
) -> dict[int, Customer]:
    """For each unlinked request with exactly one exact match, that customer (one query)."""
    unlinked = [a for a in appointments if a.customer_id is None]
    emails = {a.req_email.casefold() for a in unlinked if a.req_email}
    phones = {a.req_phone for a in unlinked if a.req_phone}
    if not emails and not phones:
        return {}
    candidates = session.scalars(
        select(Customer).where(
            Customer.practice_id == practice_id,
            or_(func.lower(Customer.email).in_(emails), Customer.phone.in_(phones)),
        )
    ).all()
    found = {}
    for appointment in unlinked:
        matches = [c for c in candidates if is_exact(appointment, c)]
        if len(matches) == 1:
            found[appointment.id] = matches[0]
    return found


# The processed list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """The processed list's filters, as parsed from the URL (empty: no filter)."""

    text: str = ""
    day_from: date | None = None
    day_to: date | None = None
    status_id: int | None = None
    branch_id: int | None = None
    page: int = 1


@dataclass(frozen=True)
class Page:
    items: list[Appointment]
    total: int
    page: int
    pages: int


def processed(session: Session, practice: Practice, search: Search) -> Page:
    """Online bookings that left the inbox, newest first, one page of them."""
    query = (
        _requests(practice.id)
        .outerjoin(Customer, Appointment.customer_id == Customer.id)
        .where(Appointment.source == Source.ONLINE, not_(is_open()))
    )
    for condition in _conditions(practice, search):
        query = query.where(condition)
    total = session.scalar(query.with_only_columns(func.count(Appointment.id))) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(search.page, 1), pages)
    items = session.scalars(
        query.options(*_shown())
        .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return Page(list(items), total, page, pages)


def _conditions(practice: Practice, search: Search) -> list:
    conditions = []
    if search.text.strip():
        conditions.append(_matches_text(search.text.strip(), practice.country))
    zone = ZoneInfo(practice.timezone)
    if search.day_from:
        conditions.append(Appointment.start >= _local_midnight(search.day_from, zone))
    if search.day_to:
        conditions.append(Appointment.start < _local_midnight(search.day_to + timedelta(1), zone))
    if search.status_id:
        conditions.append(Appointment.status_id == search.status_id)
    if search.branch_id:
        conditions.append(Appointment.branch_id == search.branch_id)
    return conditions


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _matches_text(text: str, country: str):
    """Name (first, last or both), email, or phone number in whatever format it was typed."""
    pattern = f"%{_escape(text.casefold())}%"
    fields = [
        Appointment.req_first_name + " " + Appointment.req_last_name,
        Appointment.req_email,
        Customer.first_name + " " + Customer.last_name,
        Customer.email,
    ]
    conditions = [func.lower(f).like(pattern, escape="\\") for f in fields]
    digits = phone_digits(text, country)
    if digits:
        conditions += [
            Appointment.req_phone.like(f"%{digits}%"),
            Customer.phone.like(f"%{digits}%"),
        ]
    return or_(*conditions)


def phone_digits(text: str, country: str) -> str:
    """The digits a stored (E.164) number contains when `text` is that number or a part of
    it: "0170 12345678" and "+49 170 1234-5678" both give "17012345678"; "" for text that is
    no number."""
    if not re.fullmatch(r"[\d\s()+./-]+", text) or len(re.sub(r"\D", "", text)) < MIN_PHONE_DIGITS:
        return ""
    try:
        parsed = phonenumbers.parse(text, country or "DE")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return str(parsed.national_number)
    return re.sub(r"\D", "", text).lstrip("0")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
