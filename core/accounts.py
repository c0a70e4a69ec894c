"""Staff accounts. Password hashing happens at the edge; core only stores the hash."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Practice, Role, User


class AccountError(Exception):
    """The account cannot be created as asked; the message says why."""


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"invalid email address: {error}") from None


def create_user(
    session: Session,
    *,
    slug: str,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    now: datetime,
) -> User:
    practice = session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise AccountError(f"no practice with slug {slug!r}")
    email = normalise_email(email)
    taken = session.scalar(
        select(User.id).where(User.practice_id == practice.id, User.email == email)
    )
    if taken is not None:
        raise AccountError(f"{email} already has a login for this practice")
    user = User(
        practice=practice,
        email=email,
        name=name,
        role=Role(role),
        password_hash=password_hash,
        created_at=now,
    )
    session.add(user)
    session.commit()
    return user
