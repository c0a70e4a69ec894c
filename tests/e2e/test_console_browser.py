"""The console in a real browser: a widget booking shows up in the open inbox by itself,
staff triage it, and the confirmation reaches the SMTP server; axe checks every page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from werkzeug.exceptions import MethodNotAllowed

from app import create_app
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


# Console GET endpoints that are no page a person reads; everything else needs an axe check.
AXE_EXEMPT = {
    "console.index": "redirects to the inbox",
    "console.inbox_count": "htmx fragment of the navigation (checked inside every page)",
    "console.customer_picker": "htmx fragment of the booking form (checked inside the planner)",
    "console.export_customer": "a JSON download",
    "console.status_css": "a stylesheet",
}


def console_get_endpoints() -> set[str]:
    """Every GET route of the console blueprint, from the app's URL map."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and "GET" in rule.methods
    }


class AxeTour:
    """Runs axe on the page a tab shows and notes which console endpoint served it."""

    def __init__(self, page, server) -> None:
        self.page, self.server, self.checked = page, server, set()
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        self.urls = app.url_map.bind("127.0.0.1")

    def check(self, what: str = "") -> None:
        path = urlsplit(self.page.url).path
        assert axe_violations(self.page) == [], f"{what} {self.page.url}"
        try:
            self.checked.add(self.urls.match(path, method="GET")[0])
        except MethodNotAllowed:  # a page a POST answered (a confirm step): checked, no GET
            pass

    def visit(self, path: str) -> None:
        self.page.goto(self.server.url + path)
        assert self.page.locator("main").count() == 1, path
        self.check()


def test_every_console_get_page_is_in_the_axe_tour_or_exempt():
    """A new console page without an axe check fails here (and in the tour below)."""
    assert set(AXE_EXEMPT) <= console_get_endpoints()
    assert console_get_endpoints() - set(AXE_EXEMPT) == set(TOUR_ENDPOINTS)


TOUR_ENDPOINTS = (
    "console.login",
    "console.inbox",
    "console.processed",
    "console.calendar",
    "console.declined",
    "console.users",
    "console.audit_log",
    "console.customers",
    "console.customer",
    "console.outbox_view",
    "console.settings",
    "console.reminder_settings_page",
    "console.reminder_log",
    "console.waitlist_view",
    "console.feeds_page",
    "console.appointment",
    "console.coordination_form",
    "console.notify_form",
)


def test_console_pages_pass_axe(server, axe_page, page_without_js):
    """Every console page, and the states staff reach by acting (linking with a differing
    email, the cancel confirmation, the undo bar and its notice, previews, the feed address
    shown once, the print layout), has no axe violation; the tour covers the URL map."""
    tour = AxeTour(axe_page, server)
    tour.visit("/console/login")
    log_in(axe_page, server)
    for path in (
        "/console/inbox",
        "/console/processed",
        "/console/processed?q=0170+12345678&from=2026-13-01",
        "/console/calendar",
        "/console/calendar?view=week",
        "/console/calendar?cancelled=1&time=09:00",
        "/console/declined",
        "/console/users",
        "/console/audit",
        "/console/customers",
        "/console/customers/new",
        "/console/outbox",
        "/console/settings",
        "/console/settings/reminders",
        "/console/reminders",
        "/console/waitlist",
        "/console/feeds",
    ):
        tour.visit(path)
    axe_page.goto(server.url + "/console/calendar")
    axe_page.emulate_media(media="print")
    tour.check("print layout")
    axe_page.emulate_media(media="screen")
    axe_page.goto(server.url + "/console/feeds")
    axe_page.get_by_role("button", name="Adresse erstellen").click()
    tour.check("feed address shown once")

    # A stored customer books again with another email: the linking choice.
    book_in_widget(
        page_without_js,
        server.url,
        kind="Beratung",
        slot=2,
        first_name="Max",
        last_name="Brief",
        email="max.neu@example.org",
        phone="0170 12345670",
    )
    axe_page.goto(server.url + "/console/inbox")
    axe_page.locator("#inbox tr", has_text="Max Brief").get_by_role("link").first.click()
    expect(axe_page.locator("fieldset.diff.contact")).to_have_count(1)
    tour.check("linking, the email differs")
    appointment = axe_page.url
    axe_page.get_by_role("link", name=re.compile("neuen Kunden prüfen")).click()
    tour.check("new customer prefilled from the request")
    axe_page.goto(appointment)
    axe_page.get_by_role("button", name="Diesen Kunden zuordnen").first.click()
    tour.check("linked")
    axe_page.get_by_role("link", name=re.compile("Kunden per E-Mail oder SMS")).click()
    tour.check("notify")
    axe_page.get_by_role("button", name="Vorschau der Nachricht").click()
    tour.check("notify preview")
    axe_page.goto(appointment + "/coordination")
    tour.check("please-confirm")
    axe_page.get_by_role("button", name="E-Mail-Vorschau anzeigen").click()
    tour.check("please-confirm preview")
    axe_page.goto(appointment)
    axe_page.locator("dl.facts a").first.click()  # the linked customer
    tour.check("customer")

    engine = create_engine(server.env["DATABASE_URL"])
    with engine.begin() as conn:  # this part needs the undo window
        conn.execute(text("UPDATE practice SET undo_seconds = 60"))
    engine.dispose()
    axe_page.goto(appointment)
    axe_page.get_by_role("radio", name=re.compile(r"^\s*Abgesagt")).check()
    axe_page.get_by_label("Grund").fill("Die Akustikerin ist erkrankt.")
    axe_page.get_by_role("button", name="Status speichern").click()
    expect(axe_page.get_by_role("heading", name="Diesen Termin wirklich absagen?")).to_be_visible()
    tour.check("cancel confirmation")
    axe_page.get_by_role("button", name="Ja, Termin absagen").click()
    expect(axe_page.get_by_role("button", name="Rückgängig")).to_be_visible()
    tour.check("undo bar")
    axe_page.get_by_role("button", name="Rückgängig").click()
    expect(axe_page.locator("p.notice")).to_contain_text("rückgängig")
    tour.check("undone")
    assert tour.checked == set(TOUR_ENDPOINTS)
