"""The reminder SMS: GSM-7 counting and the one-message guarantee."""

from __future__ import annotations

from datetime import UTC, datetime

from core.gsm7 import fits, gsm7_length
from core.models import Appointment, Branch, Practice
from notifications import sms


def test_gsm7_length_counts_extension_characters_twice_and_refuses_others():
    assert gsm7_length("Hörtest 10:00") == 13
    assert gsm7_length("50 €") == 5
    assert gsm7_length("Termin 🙂") is None
    assert fits("x" * 160) and not fits("x" * 161)
    assert not fits("€" * 81)
    assert not fits("ok 🙂")


def reminder(app, name: str, language: str = "de") -> str:
    appointment = Appointment(
        practice=Practice(name=name, timezone="Europe/Berlin", language=language),
        branch=Branch(name="Filiale Mitte", phone="+49 30 1234567"),
        start=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )
    with app.test_request_context():
        return sms.reminder_text(appointment)


def test_the_reminder_names_practice_day_time_and_branch_in_one_sms(app):
    text = reminder(app, "Hörwelt")
    assert text.startswith("Erinnerung: Ihr Termin bei Hörwelt")
    assert "Hörwelt" in text and "24.11." in text and "10:00" in text and "Mitte" in text
    assert fits(text)
    assert "10:00" in reminder(app, "Hörwelt", "en")


def test_long_names_and_foreign_characters_still_make_one_sms(app):
    text = reminder(app, "Hörakustik " + "Ł" + "x" * 200)
    assert fits(text)
    assert text.startswith("Erinnerung")
