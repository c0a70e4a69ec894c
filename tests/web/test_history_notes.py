"""History notes: core stores a kind and its parameters, the console says it in the staff
member's language with the practice's local times, and an old note it cannot read as it was."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from console.history import note_text
from core.models import Actor, NoteKind, Practice, StatusChange
from tests.web.test_console import NOW, requests_in_start

MOVE = {"old": "2026-12-09T09:00:00+00:00", "new": "2026-03-29T09:00:00+00:00"}  # a DST day
# Each kind with its parameters, and its text in German and in English (Europe/Berlin times).
NOTES = {
    NoteKind.MOVED: (
        MOVE,
        "verschoben von 09.12.2026 10:00 auf 29.03.2026 11:00",
        "moved from Dec 9, 2026 10:00\u202fAM to Mar 29, 2026 11:00\u202fAM",
    ),
    NoteKind.RESCHEDULED: (
        MOVE,
        "verschoben vom Kunden von 09.12.2026 10:00 auf 29.03.2026 11:00",
        "moved by the customer from Dec 9, 2026 10:00\u202fAM to Mar 29, 2026 11:00\u202fAM",
    ),
    NoteKind.WAITLIST_CLAIMED: (
        MOVE,
        "vom Kunden über die Warteliste vorverlegt von 09.12.2026 10:00 auf 29.03.2026 11:00",
        "moved by the customer to an earlier time from the waiting list, "
        "from Dec 9, 2026 10:00\u202fAM to Mar 29, 2026 11:00\u202fAM",
    ),
    NoteKind.CUSTOMER_LINKED: (
        {"customer_id": 4, "name": "Erika Mustermann"},
        "Kunde zugeordnet: Erika Mustermann",
        "customer linked: Erika Mustermann",
    ),
    NoteKind.CUSTOMER_CREATED: (
        {"customer_id": 5, "name": "Max Muster"},
        "Kunde angelegt: Max Muster",
        "customer created: Max Muster",
    ),
    NoteKind.CUSTOMER_MERGED: (
        {"name": "Erika Musterfrau", "duplicate_id": 7, "keep_id": 4},
        "Kunde zusammengeführt: Erika Musterfrau",
        "customer merged: Erika Musterfrau",
    ),
    NoteKind.ACCEPTED: (
        {},
        "Vom Kunden über die Bitte um Bestätigung (E-Mail) angenommen",
        "Accepted by the customer through the please-confirm email",
    ),
    NoteKind.DECLINED: (
        {},
        "Vom Kunden über die Bitte um Bestätigung (E-Mail) abgelehnt",
        "Declined by the customer through the please-confirm email",
    ),
    NoteKind.UNDONE: (
        {"start": "2026-12-09T09:00:00+00:00"},
        "Änderung rückgängig gemacht: zurück auf 09.12.2026 10:00; ihre Nachrichten wurden "
        "zurückgezogen",
        "change undone: back to Dec 9, 2026 10:00\u202fAM; its messages were withdrawn",
    ),
    NoteKind.MESSAGE: (
        {"purpose": "confirmation", "channel": "sms"},
        "Nachricht an den Kunden per SMS: Bestätigung",
        "message to the customer by SMS: confirmation",
    ),
    NoteKind.LEGACY: (
        {"text": "Rückruf vereinbart"},
        "Rückruf vereinbart",
        "Rückruf vereinbart",
    ),
}


def test_every_kind_has_a_case():
    assert set(NOTES) == set(NoteKind)


@pytest.mark.parametrize("kind", list(NOTES))
def test_a_note_reads_in_german_and_after_switching_in_english(app, kind):
    params, german, english = NOTES[kind]
    change = StatusChange(note_kind=kind, note_params=params)
    berlin = Practice(timezone="Europe/Berlin")
    with app.test_request_context():
        with force_locale("de"):
            assert note_text(change, berlin) == german
        with force_locale("en"):
            assert note_text(change, berlin) == english


def test_a_move_reads_in_the_practice_time_zone(app):
    change = StatusChange(note_kind=NoteKind.MOVED, note_params=MOVE)
    with app.test_request_context(), force_locale("de"):
        text = note_text(change, Practice(timezone="America/New_York"))
    assert text == "verschoben von 09.12.2026 04:00 auf 29.03.2026 05:00"


def test_a_plain_status_move_has_no_note(app):
    with app.test_request_context():
        assert note_text(StatusChange(), Practice(timezone="Europe/Berlin")) == ""


def test_an_unknown_legacy_note_shows_on_the_page_as_written(console, session):
    appointment = requests_in_start(session)[0]
    appointment.history.append(
        StatusChange(
            from_status=appointment.status,
            to_status=appointment.status,
            at=NOW,
            by=Actor.USER,
            note_kind=NoteKind.LEGACY,
            note_params={"text": "Rückruf <vereinbart> am Montag"},
        )
    )
    session.commit()
    for language in ("de", "en"):
        page = console.get(
            f"/console/appointments/{appointment.id}", headers={"Accept-Language": language}
        )
        assert "Rückruf &lt;vereinbart&gt; am Montag" in page.text
