"""Staff calendar feeds: a secret URL per staff member (all of the practice's appointments or
one resource's) that Outlook, Google and Apple Calendar subscribe to.

The URL holds a random token; only its SHA-256 is stored, so a copy of the database opens no
feed. Revoking deletes the row; renewing replaces the hash, so the old URL stops at once.
A deactivated login's feeds stop with it. The feed holds the appointments still holding
their slot from a month back to a year ahead, built by core.ics.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.models import Appointment, CalendarFeed, Resource, Role, User
from core.triage import owned

PAST = timedelta(days=31)
AHEAD = timedelta(days=366)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, user: User, resource_id: int | None, *, now: datetime
) -> tuple[CalendarFeed, str]:
    """A new feed of `user` (one resource of their practice, or all); returns it with the
    token, which exists nowhere else afterwards: the caller shows it once."""
    if resource_id is not None:
        owned(session, Resource, resource_id, user.practice_id)  # another practice's: NotFound
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        practice_id=user.practice_id,
        user_id=user.id,
        resource_id=resource_id,
        token_hash=digest(token),
        created_at=now,
    )
    session.add(feed)
    session.commit()
    return feed, token


def renew(session: Session, feed: CalendarFeed, *, now: datetime) -> str:
    """A new token for the same feed; the old URL stops working."""
    token = secrets.token_urlsafe(32)
    feed.token_hash, feed.created_at = digest(token), now
    session.commit()
    return token


def revoke(session: Session, feed: CalendarFeed) -> None:
    session.delete(feed)
    session.commit()


def find(session: Session, token: str) -> CalendarFeed | None:
    """The feed a URL's token opens, or None (malformed, revoked, or its login deactivated)."""
    if not _TOKEN.fullmatch(token):
        return None
    feed = session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.token_hash == digest(token))
        .options(joinedload(CalendarFeed.user), joinedload(CalendarFeed.practice))
    )
    if feed is None or not feed.user.active:
        return None
    return feed


def visible_to(session: Session, user: User) -> list[CalendarFeed]:
    """The user's own feeds; an admin sees every feed of the practice (to revoke a leaver's)."""
    query = select(CalendarFeed).where(CalendarFeed.practice_id == user.practice_id)
    if user.role is not Role.ADMIN:
        query = query.where(CalendarFeed.user_id == user.id)
    return list(session.scalars(query.order_by(CalendarFeed.id)))


def appointments(session: Session, feed: CalendarFeed, now: datetime) -> list[Appointment]:
    """What the feed shows: the scope's slot-holding appointments in the window, by start."""
    query = (
        select(Appointment)
        .where(
            Appointment.practice_id == feed.practice_id,
            Appointment.holds_slot.is_(True),
            Appointment.blocked.is_(False),
            Appointment.start >= now - PAST,
            Appointment.start < now + AHEAD,
        )
        .options(
            joinedload(Appointment.type),
            joinedload(Appointment.customer),
            joinedload(Appointment.branch),
            joinedload(Appointment.resource),
            joinedload(Appointment.status),
            joinedload(Appointment.practice),
        )
        .order_by(Appointment.start, Appointment.id)
    )
    if feed.resource_id is not None:
        query = query.where(Appointment.resource_id == feed.resource_id)
    return list(session.scalars(query))
