"""The outbox's pure rules: backoff, relevance and the customer's cancellation window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import cancellation, outbox
from core.models import Appointment, Notification, Practice, Status, StatusKind

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def appointment(kind: StatusKind, *, start=NOW + timedelta(hours=3), cutoff=0) -> Appointment:
    practice = Practice(slug="p", name="P", cancel_cutoff_minutes=cutoff, timezone="Europe/Berlin")
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
    gone = outbox.Skip.NO_LONGER_DUE
    assert outbox.skip_reason(None, message("confirmation", active), NOW) is None
    assert outbox.skip_reason(None, message("confirmation", cancelled), NOW) == gone
    assert outbox.skip_reason(None, message("reminder", cancelled), NOW) == gone
    assert outbox.skip_reason(None, message("cancellation", cancelled), NOW) is None
    assert outbox.skip_reason(None, message("cancellation", active), NOW) == gone
    blocked = appointment(StatusKind.CONFIRMED)
    blocked.blocked = True
    assert outbox.skip_reason(None, message("confirmation", blocked), NOW) == gone


def test_the_customer_never_hears_of_an_appointment_after_it_started():
    started = appointment(StatusKind.CONFIRMED, start=NOW - timedelta(minutes=1))
    for kind in ("confirmation", "request_received", "reminder", "cancellation"):
        row = message(kind, started if kind != "cancellation" else cancelled_at(started))
        assert outbox.skip_reason(None, row, NOW) == outbox.Skip.STARTED, kind
    staff = message("staff_new_request", started)
    assert outbox.skip_reason(None, staff, NOW) is None


def cancelled_at(a: Appointment) -> Appointment:
    return appointment(StatusKind.CANCELLED, start=a.start)


def test_a_reminder_on_the_appointments_own_day_is_skipped():
    # 07:30 in Berlin on Tuesday; a reminder due at 08:00 (quiet hours' end) that day.
    start = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    tuesday = appointment(StatusKind.CONFIRMED, start=start)
    evening_before = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert outbox.reminder_too_late(tuesday, evening_before) is None
    midnight_berlin = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert outbox.reminder_too_late(tuesday, midnight_berlin) == outbox.Skip.SAME_DAY
    assert outbox.reminder_too_late(tuesday, start) == outbox.Skip.SAME_DAY
    assert outbox.reminder_too_late(tuesday, start + timedelta(days=1)) == outbox.Skip.STARTED
    due_at_eight = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    row = message("reminder", tuesday)
    assert outbox.skip_reason(None, row, due_at_eight) == outbox.Skip.STARTED
    assert outbox.skip_reason(None, row, midnight_berlin) == outbox.Skip.SAME_DAY


def test_customers_cancel_online_until_the_cutoff_before_the_start():
    assert cancellation.state(appointment(StatusKind.CONFIRMED), NOW) is None
    late = appointment(StatusKind.CONFIRMED, cutoff=180)
    assert cancellation.state(late, NOW) is cancellation.Outcome.TOO_LATE
    assert cancellation.state(late, NOW - timedelta(minutes=1)) is None
    started = appointment(StatusKind.CONFIRMED, start=NOW)
    assert cancellation.state(started, NOW) is cancellation.Outcome.TOO_LATE
    done = appointment(StatusKind.CANCELLED)
    assert cancellation.state(done, NOW) is cancellation.Outcome.ALREADY_CANCELLED
