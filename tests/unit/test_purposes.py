"""What a message staff write claims and when it is true: refused when written, skipped at
delivery when the appointment contradicts it since (pure rules, no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import outbox, purposes
from core.models import Customer, NoteKind, Notification, StatusChange, StatusKind
from core.purposes import Purpose, Refusal
from tests.unit.test_outbox_rules import NOW, appointment

K = StatusKind


def linked(kind: StatusKind, *, moved=False, start=NOW + timedelta(days=1)):
    a = appointment(kind, start=start)
    a.customer, a.customer_id = Customer(last_name="Kling"), 1
    a.history = [StatusChange(note_kind=NoteKind.MOVED)] if moved else []
    return a


@pytest.mark.parametrize(
    ("kind", "moved", "purpose", "refusal"),
    [
        (K.CONFIRMED, False, Purpose.CONFIRMATION, None),
        (K.START, False, Purpose.CONFIRMATION, Refusal.NOT_CONFIRMED),
        (K.CANCELLED, False, Purpose.CONFIRMATION, Refusal.CANCELLED),
        (K.CONFIRMED, False, Purpose.MOVED, Refusal.NOT_MOVED),
        (K.PROGRESS, True, Purpose.MOVED, None),
        (K.DECLINED, True, Purpose.MOVED, Refusal.CANCELLED),
        (K.CANCELLED, False, Purpose.CANCELLED, None),
        (K.CONFIRMED, False, Purpose.CANCELLED, Refusal.NOT_CANCELLED),
        (K.START, False, Purpose.FREE_TEXT, None),
        (K.CANCELLED, False, Purpose.FREE_TEXT, None),
    ],
)
def test_each_purpose_fits_only_the_states_it_speaks_of(kind, moved, purpose, refusal):
    assert purposes.refusal(linked(kind, moved=moved), purpose, NOW) == refusal


def test_nothing_after_the_start_nothing_without_a_customer_nothing_to_a_blocked_contact():
    started = linked(K.CONFIRMED, start=NOW)
    assert purposes.refusal(started, Purpose.FREE_TEXT, NOW) == Refusal.STARTED
    unlinked = appointment(K.CONFIRMED)
    unlinked.customer_id = None
    assert purposes.refusal(unlinked, Purpose.FREE_TEXT, NOW) == Refusal.NO_CUSTOMER
    blocked = linked(K.CONFIRMED)
    blocked.blocked = True
    assert purposes.refusal(blocked, Purpose.CONFIRMATION, NOW) == Refusal.BLOCKED


def written(a, purpose: Purpose) -> Notification:
    payload = {
        "purpose": purpose,
        "start": a.start.isoformat(),
        "cancelled": a.status.kind.frees_slot,
    }
    return Notification(kind=outbox.Kind.MANUAL, appointment=a, payload=payload)


def test_delivery_skips_a_message_the_appointment_has_contradicted_since():
    a = linked(K.CONFIRMED)
    confirmation, note = written(a, Purpose.CONFIRMATION), written(a, Purpose.FREE_TEXT)
    assert outbox.skip_reason(None, confirmation, NOW) is None
    assert outbox.skip_reason(None, note, NOW) is None
    a.status = appointment(K.CANCELLED).status
    assert outbox.skip_reason(None, confirmation, NOW) == outbox.Skip.NO_LONGER_DUE
    assert outbox.skip_reason(None, note, NOW) == outbox.Skip.NO_LONGER_DUE  # written before
    b = linked(K.CONFIRMED)
    row = written(b, Purpose.FREE_TEXT)
    b.start += timedelta(hours=1)
    assert outbox.skip_reason(None, row, NOW) == outbox.Skip.NO_LONGER_DUE
    c = linked(K.CONFIRMED)
    late = written(c, Purpose.CONFIRMATION)
    assert outbox.skip_reason(None, late, c.start) == outbox.Skip.STARTED
    assert outbox.skip_reason(None, written(c, "nonsense"), NOW) == outbox.Skip.NO_LONGER_DUE
