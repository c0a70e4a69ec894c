"""Finding a customer by what staff type: part of a name or email, or a phone number in
any format ("0170 12345678" finds "+4917012345678", stored in E.164)."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import Customer


def find(
    session: Session, practice_id: int, q: str, *, country: str = "DE", limit: int = 100
) -> list[Customer]:
    """The practice's customers matching `q` (all when empty), by last name."""
    query = select(Customer).where(Customer.practice_id == practice_id)
    q = q.strip()[:100]
    if q:
        like = f"%{q.lower()}%"
        conditions = [
            Customer.last_name.ilike(like),
            Customer.first_name.ilike(like),
            Customer.email.ilike(like),
            Customer.phone.ilike(like),
        ]
        if (phone := _as_phone(q, country)) is not None:
            conditions.append(Customer.phone.like(f"%{phone}%"))
        query = query.where(or_(*conditions))
    return list(
        session.scalars(query.order_by(Customer.last_name, Customer.first_name).limit(limit))
    )


def _as_phone(q: str, country: str) -> str | None:
    """The digits of a typed number as stored (E.164 without the leading +), if it is one."""
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) < 4 or any(ch.isalpha() for ch in q):
        return None
    try:
        parsed = phonenumbers.parse(q, country.upper())
    except phonenumbers.NumberParseException:
        return digits
    national = str(parsed.national_number)
    return f"{parsed.country_code}{national}" if len(national) >= 6 else national
