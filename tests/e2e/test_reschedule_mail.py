"""Done-when of rescheduling (issue 13.6): a customer books in the widget, follows the
"Termin verschieben" link of the confirmation mail (JavaScript off), picks a new time in
the week grid and confirms; after `python worker.py --burst` the update mail's Termin.ics
(same UID, SEQUENCE + 1, METHOD:REQUEST) and the staff alert are read back from the SMTP
sink. The new pages (and the waiting-list page the same mail links) pass axe."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, book_in_widget, calendar_of

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


def test_reschedule_from_the_mail_link_with_the_update_mail_and_its_ics(
    mail_server, page_without_js, axe_page, smtp
):
    page = page_without_js
    book_in_widget(page, mail_server.url, email="lena.neu@example.org")
    mail_server.worker_burst()
    [confirmation] = smtp.to("lena.neu@example.org")
    _, calendar = calendar_of(confirmation)
    booked = calendar.events[0]
    body = confirmation.get_body(("plain",)).get_content()
    assert "Hier können Sie den Termin verschieben:" in body
    move_url = next(w for w in body.split() if "/move/" in w)
    wait_url = next(w for w in body.split() if "/wait/" in w)
    assert move_url.startswith(mail_server.url)

    page.goto(move_url)  # what a mail scanner does too: it only shows
    assert page.get_by_role("heading", level=1).inner_text() == "Neue Zeit wählen"
    page.locator("table.grid a").nth(5).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Termin verschieben?"
    confirm_url = page.url
    page.get_by_role("button", name="Ja, Termin verschieben").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ihr Termin ist verschoben"

    mail_server.worker_burst()
    # Besides the confirmation and the update, a reminder for the new time may be due.
    [update] = [
        m
        for m in smtp.to("lena.neu@example.org")
        if m["Subject"].startswith("Ihr Termin ist verschoben auf")
    ]
    method, calendar = calendar_of(update)
    moved = calendar.events[0]
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    assert moved["UID"] == booked["UID"] and moved["SEQUENCE"] == booked["SEQUENCE"] + 1
    assert moved.start > booked.start and moved.start.tzinfo.key == "Europe/Berlin"
    text = update.get_body(("plain",)).get_content()
    assert moved.start.strftime("%H:%M") in text and booked.start.strftime("%H:%M") in text
    staff = [m for m in smtp.to("praxis@demo.example") if "Vom Kunden verschoben" in m["Subject"]]
    assert len(staff) == 1

    for url in (move_url, confirm_url, wait_url):
        axe_page.goto(url)
        assert axe_violations(axe_page) == [], url
