"""Done-when of the notifications: a booking made in the widget yields, after
`python worker.py --burst`, a confirmation mail whose .ics imports cleanly and whose cancel
link cancels only on POST. gunicorn, the worker and the SMTP server are all real."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import book_in_widget, calendar_of

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


def status_kind(database_url: str) -> str:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        kind = conn.execute(
            text(
                "SELECT s.kind FROM appointment a JOIN status s ON s.id = a.status_id "
                "WHERE a.req_email = 'lena.neu@example.org'"
            )
        ).scalar_one()
    engine.dispose()
    return kind


def test_widget_booking_mail_ics_and_cancel_link(mail_server, page_without_js, smtp, database_url):
    book_in_widget(page_without_js, mail_server.url, email="lena.neu@example.org")
    page = page_without_js
    assert smtp.messages == []  # nothing is sent by the web process itself

    mail_server.worker_burst()

    [confirmation] = smtp.to("lena.neu@example.org")
    method, calendar = calendar_of(confirmation)
    assert method == "PUBLISH" and calendar["METHOD"] == "PUBLISH"
    event = calendar.events[0]
    assert event.start.tzinfo.key == "Europe/Berlin"
    assert str(event["LOCATION"]) == "Hauptstraße 12, 10115 Berlin"
    local_time = event.start.strftime("%H:%M")
    body = confirmation.get_body(("plain",)).get_content()
    assert local_time in body
    cancel_url = next(w for w in body.split() if "/cancel/" in w)
    assert cancel_url.startswith(mail_server.url)

    page.goto(cancel_url)  # what a mail scanner or link preview does
    assert page.get_by_role("heading", level=1).inner_text() == "Termin stornieren?"
    assert status_kind(database_url) == "confirmed"
    page.get_by_role("button", name="Ja, Termin stornieren").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ihr Termin ist storniert"
    assert page.get_by_role("heading").count() == 1  # the practice's name is the bar's only
    assert "+49 30 1234567" in page.locator("footer").inner_text()
    page.get_by_role("link", name="Neuen Termin buchen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Termin buchen"
    assert status_kind(database_url) == "cancelled"

    mail_server.worker_burst()
    [_, cancellation] = smtp.to("lena.neu@example.org")
    method, calendar = calendar_of(cancellation)
    assert method == "CANCEL" and str(calendar.events[0]["STATUS"]) == "CANCELLED"
    assert calendar.events[0]["UID"] == event["UID"]
    assert calendar.events[0]["SEQUENCE"] > event["SEQUENCE"]
    assert len(smtp.to("praxis@demo.example")) == 2  # new request + customer cancelled
