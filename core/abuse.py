"""Abuse checks for online bookings: throw-away email domains and the practice's blocklist.

A blocked contact is not told so (that would invite a new address); the booking shows the
ordinary success page and never reaches the calendar or sends a message.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import BlockedContact

DOMAINS_FILE = Path(__file__).with_name("data") / "disposable_domains.txt"


@cache
def disposable_domains() -> frozenset[str]:
    lines = DOMAINS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def is_disposable(email: str) -> bool:
    """True for an address at a throw-away provider or one of its subdomains."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    parts = domain.split(".")
    return any(".".join(parts[i:]) in disposable_domains() for i in range(len(parts) - 1))


def normalise_contact(value: str) -> str:
    """Emails compare case-insensitively; phone numbers are stored in E.164 already."""
    return value.strip().lower()


def is_blocked(session: Session, practice_id: int, *contacts: str) -> bool:
    values = {normalise_contact(c) for c in contacts if c and c.strip()}
    if not values:
        return False
    hit = session.scalar(
        select(BlockedContact.id).where(
            BlockedContact.practice_id == practice_id, BlockedContact.value.in_(values)
        )
    )
    return hit is not None


def block(session: Session, practice_id: int, value: str, *, now: datetime) -> BlockedContact:
    """Add an email or E.164 number to the practice's blocklist (idempotent); commits once."""
    value = normalise_contact(value)
    existing = session.scalar(
        select(BlockedContact).where(
            BlockedContact.practice_id == practice_id, BlockedContact.value == value
        )
    )
    if existing is not None:
        return existing
    entry = BlockedContact(practice_id=practice_id, value=value, created_at=now)
    session.add(entry)
    session.commit()
    return entry


def unblock(session: Session, entry: BlockedContact) -> None:
    """Take an entry off the blocklist; commits once."""
    session.delete(entry)
    session.commit()
