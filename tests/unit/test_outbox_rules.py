"""The outbox's pure rules: backoff, relevance and the customer's cancellation window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import cancellation, outbox
from core.models import Appointment, Notification, Practice, Status, StatusKind

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def appointment(kind: StatusKind, *, start=NOW + timedelta(hours=3), cutoff=0) -> Appointment:
    practice = Practice(slug="p", name="P", cancel_cutoff_minutes=cutoff)
    return Appointment(
        practice=practice,
        status=Status(practice=practice, name="s", kind=kind),
        start=start,
        blocked=False,
    )


def message(kind: str, a: Appointment) -> Notification:
    return Notification(kind=kind, appointment=a)


def test_backoff_doubles_from_the_base():
    base = timedelta(seconds=30)
    assert [outbox.backoff(n, base).seconds for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_confirmations_and_reminders_of_cancelled_appointments_are_no_longer_relevant():
    active, cancelled = appointment(StatusKind.CONFIRMED), appointment(StatusKind.CANCELLED)
    assert outbox.still_relevant(None, message("confirmation", active))
    assert not outbox.still_relevant(None, message("confirmation", cancelled))
    assert not outbox.still_relevant(None, message("reminder", cancelled))
    assert outbox.still_relevant(None, message("cancellation", cancelled))
    assert not outbox.still_relevant(None, message("cancellation", active))
    blocked = appointment(StatusKind.CONFIRMED)
    blocked.blocked = True
    assert not outbox.still_relevant(None, message("confirmation", blocked))


def test_customers_cancel_online_until_the_cutoff_before_the_start():
    assert cancellation.state(appointment(StatusKind.CONFIRMED), NOW) is None
    late = appointment(StatusKind.CONFIRMED, cutoff=180)
    assert cancellation.state(late, NOW) is cancellation.Outcome.TOO_LATE
    assert cancellation.state(late, NOW - timedelta(minutes=1)) is None
    started = appointment(StatusKind.CONFIRMED, start=NOW)
    assert cancellation.state(started, NOW) is cancellation.Outcome.TOO_LATE
    done = appointment(StatusKind.CANCELLED)
    assert cancellation.state(done, NOW) is cancellation.Outcome.ALREADY_CANCELLED
