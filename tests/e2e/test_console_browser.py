"""The console in a real browser: a widget booking shows up in the open inbox by itself,
staff triage it, and the confirmation reaches the SMTP server; axe checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import DEMO_PASSWORD, axe_violations, book_in_widget, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


@pytest.fixture
def server(database_url, tmp_path, redis_conn, smtp):
    server = start_server(
        database_url,
        tmp_path,
        {"WIDGET_MIN_FILL_SECONDS": "0", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)},
    )
    engine = create_engine(database_url)
    with engine.begin() as conn:
        # Messages leave at once here (no undo window): test_planner_browser tests the window.
        conn.execute(text("UPDATE practice SET inbox_poll_seconds = 2, undo_seconds = 0"))
    engine.dispose()
    yield server
    server.stop()


def log_in(page, server):
    page.goto(server.url + "/console/login")
    page.get_by_label("E-Mail").fill("admin@demo.example")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_a_widget_booking_appears_in_the_open_inbox_and_is_confirmed(
    server, page, page_without_js, smtp
):
    log_in(page, server)
    expect(page).to_have_title(re.compile(r"Neue Online-Anfragen"))
    assert page.get_by_text("Walter Wunderlich").count() == 0
    book_in_widget(
        page_without_js,
        server.url,
        kind="Beratung",
        slot=5,
        first_name="Walter",
        last_name="Wunderlich",
        email="walter@example.org",
        phone="0151 23456789",
    )
    expect(page_without_js.get_by_role("heading", level=1)).to_contain_text("noch nicht bestätigt")
    expect(page.get_by_text("Walter Wunderlich")).to_be_visible(timeout=15_000)  # the poll
    expect(page.locator("tr.new")).to_have_count(1)
    page.locator("tr.new a").first.click()
    page.get_by_role("button", name="Kunden aus der Anfrage anlegen").click()
    page.get_by_label("Bestätigt").check()
    page.get_by_role("button", name="Status speichern").click()
    expect(page.locator("ol.history li").first).to_contain_text("Bestätigt")
    server.worker_burst()
    mails = smtp.to("walter@example.org")
    subjects = [m["Subject"] for m in mails]
    assert any("bestätigt" in s for s in subjects), subjects
    confirmation = next(m for m in mails if "bestätigt" in m["Subject"])
    ics = next(p for p in confirmation.iter_attachments() if p.get_filename() == "Termin.ics")
    assert b"BEGIN:VEVENT" in ics.get_payload(decode=True)


def test_console_pages_pass_axe(server, axe_page):
    page = axe_page
    page.goto(server.url + "/console/login")
    assert axe_violations(page) == []
    log_in(page, server)
    for path in (
        "/console/inbox",
        "/console/calendar",
        "/console/processed",
        "/console/processed?q=0170+12345678&from=2026-13-01",
        "/console/calendar?view=week",
        "/console/calendar?cancelled=1&time=09:00",
        "/console/users",
        "/console/audit",
        "/console/customers",
        "/console/customers/new",
        "/console/outbox",
        "/console/settings",
        "/console/declined",
        "/console/settings/reminders",
        "/console/reminders",
    ):
        page.goto(server.url + path)
        assert axe_violations(page) == [], path
    page.goto(server.url + "/console/inbox")
    page.locator("#inbox tbody a").first.click()
    assert "/console/appointments/" in page.url
    assert axe_violations(page) == []
    appointment = page.url
    page.get_by_label("Abgesagt").check()
    page.get_by_label("Grund").fill("Die Akustikerin ist erkrankt.")
    page.get_by_role("button", name="Status speichern").click()
    assert axe_violations(page) == []  # the confirm step
    page.goto(appointment + "/coordination")
    assert axe_violations(page) == []
