"""The models on a real database: UTC round trips and the constraints the issue names."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.models import Channel, Notification, Practice, User


def make_practice(session, now, slug="hoerwelt"):
    practice = Practice(slug=slug, name="Hörwelt", created_at=now)
    session.add(practice)
    session.flush()
    return practice


def test_aware_datetimes_round_trip_unchanged(session, now):
    berlin_evening = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    practice = make_practice(session, berlin_evening)
    session.commit()
    session.expire_all()
    loaded = session.get(Practice, practice.id)
    assert loaded.created_at == berlin_evening
    assert loaded.created_at.tzinfo is UTC
    assert loaded.created_at.hour == 0


def test_naive_datetimes_are_refused(session, now):
    session.add(Practice(slug="naive", name="Naive", created_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_practice_slug_is_unique(session, now):
    make_practice(session, now)
    session.add(Practice(slug="hoerwelt", name="Copy", created_at=now))
    with pytest.raises(IntegrityError):
        session.flush()


def test_user_email_is_unique_within_a_practice_only(session, now):
    first, second = make_practice(session, now), make_practice(session, now, "zweite")
    for practice in (first, second):
        session.add(User(practice=practice, email="a@b.de", password_hash="x", created_at=now))
    session.flush()
    session.add(User(practice=first, email="a@b.de", password_hash="y", created_at=now))
    with pytest.raises(IntegrityError):
        session.flush()


def test_notification_idempotency_key_is_unique(session, now):
    practice = make_practice(session, now)

    def row():
        return Notification(
            practice_id=practice.id,
            kind="confirmation",
            channel=Channel.EMAIL,
            recipient="x@example.org",
            not_before=now,
            idempotency_key="k1",
            created_at=now,
        )

    session.add(row())
    session.flush()
    session.add(row())
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.scalars(select(Notification)).all() == []
