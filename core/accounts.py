"""Staff accounts. Password hashing happens at the edge; core only stores the hash."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
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


LAST_ADMIN = "The practice needs at least one active admin: this login is its last one."
PASSWORD_TOO_SHORT = "The password needs at least 10 characters."
MIN_PASSWORD = 10


def update_login(
    session: Session,
    user: User,
    *,
    active: bool | None = None,
    role: str | None = None,
    password_hash: str | None = None,
) -> None:
    """Deactivate or re-enable a login, set its role, or give it a new password; commits
    once. Taking the last active admin away (deactivating or demoting them) is refused
    with AccountError(LAST_ADMIN) and changes nothing."""
    _lock_practice(session, user.practice_id)
    session.refresh(user)
    new_role = Role(role) if role in {r.value for r in Role} else user.role
    new_active = user.active if active is None else active
    was_admin = user.active and user.role is Role.ADMIN
    if was_admin and not (new_active and new_role is Role.ADMIN):
        if not _other_active_admins(session, user):
            session.rollback()
            raise AccountError(LAST_ADMIN)
    user.role, user.active = new_role, new_active
    if password_hash is not None:
        user.password_hash = password_hash
    session.commit()


def _other_active_admins(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(User.id).where(
                User.practice_id == user.practice_id,
                User.id != user.id,
                User.role == Role.ADMIN,
                User.active.is_(True),
            )
        ).all()
    )


def _lock_practice(session: Session, practice_id: int) -> None:
    """Serialise login changes of one practice, so two admins demoting each other at once
    cannot leave it without one (SQLite: a no-op write takes the database write lock)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Practice).where(Practice.id == practice_id).values(id=practice_id))
        return
    session.scalars(select(Practice.id).where(Practice.id == practice_id).with_for_update()).one()
