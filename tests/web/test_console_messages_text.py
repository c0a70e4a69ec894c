"""The messages page speaks the staff's language: kinds, states and skip reasons are stored as
identifiers and English sentences, and shown translated."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Notification, NotificationState, Practice
from core.outbox import Kind, Skip
from tests.web.staff import NOW


def test_the_messages_page_names_kind_state_and_reason_in_german(console, session):
    practice = session.scalar(select(Practice))
    session.add(
        Notification(
            practice_id=practice.id,
            kind=Kind.CANCELLATION,
            channel="email",
            recipient="hannah.wolf@example.org",
            payload={},
            not_before=NOW,
            state=NotificationState.SKIPPED,
            attempts=0,
            last_error=Skip.UNDONE,
            idempotency_key="undone-cancellation",
            created_at=NOW,
        )
    )
    session.commit()
    page = console.get("/console/outbox").text
    assert "Absage (Kunde)" in page and "übersprungen" in page
    assert "Rückgängig-Fenster zurückgenommen" in page
    for raw in ("cancellation<", "skipped<", Skip.UNDONE):
        assert raw not in page
