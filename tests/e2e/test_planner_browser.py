"""The planner in a real browser (JavaScript on): undoing a cancellation inside the window
leaves the customer without a mail at the SMTP server, the day list prints one page per
resource, and a booking can be made from the day grid with the keyboard alone."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import start_server
from tests.e2e.test_console_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


@pytest.fixture
def server(database_url, tmp_path, redis_conn, smtp):
    server = start_server(
        database_url,
        tmp_path,
        {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)},
        workers=2,
    )
    server.database_url = database_url
    yield server
    server.stop()


def sql(server, statement: str, **params):
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        rows = conn.execute(text(statement), params)
        result = rows.all() if rows.returns_rows else None
    engine.dispose()
    return result


def cancel_request(page, server, nth: int = 0) -> str:
    """Cancel the inbox's nth request through the confirm step; returns its page URL."""
    page.goto(server.url + "/console/inbox")
    page.locator("#inbox tbody a").nth(nth).click()
    url = page.url
    page.get_by_label("Abgesagt").check()
    page.get_by_label("Grund").fill("Die Akustikerin ist erkrankt.")
    page.get_by_role("button", name="Status speichern").click()
    expect(page.get_by_role("heading", name="Diesen Termin wirklich absagen?")).to_be_visible()
    page.get_by_role("button", name="Ja, Termin absagen").click()
    expect(page.get_by_role("button", name="Rückgängig")).to_be_visible()
    return url


def cancellation_rows(server, appointment_id: int):
    return sql(
        server,
        "SELECT id, state, recipient FROM notification "
        "WHERE appointment_id = :a AND kind = 'cancellation'",
        a=appointment_id,
    )


def due_now(server, appointment_id: int) -> None:
    """Let the undo window pass for this appointment's messages (without waiting it out)."""
    sql(
        server,
        "UPDATE notification SET not_before = :t WHERE appointment_id = :a",
        t="2000-01-01T00:00:00+00:00",
        a=appointment_id,
    )


def test_undoing_a_cancellation_inside_the_window_sends_the_customer_nothing(server, page, smtp):
    log_in(page, server)
    undone_url = cancel_request(page, server)
    undone_id = int(undone_url.rsplit("/", 1)[1])
    page.get_by_role("button", name="Rückgängig").click()
    expect(page.locator("p.notice")).to_contain_text("Änderung rückgängig gemacht")
    expect(page.locator("dl.facts").first).not_to_contain_text("Abgesagt")
    [(_, state, customer)] = cancellation_rows(server, undone_id)
    assert state == "skipped"

    kept_url = cancel_request(page, server, 1)  # the control: a cancellation kept
    kept_id = int(kept_url.rsplit("/", 1)[1])
    assert kept_id != undone_id
    [(_, _, kept_customer)] = cancellation_rows(server, kept_id)
    due_now(server, undone_id)
    due_now(server, kept_id)
    server.worker_burst()
    assert [m["Subject"] for m in smtp.to(kept_customer)]  # the sink does receive mail
    assert not [m for m in smtp.to(customer) if "abgesagt" in str(m["Subject"]).lower()]
    assert cancellation_rows(server, undone_id)[0][1] == "skipped"


def test_the_day_list_prints_one_page_per_resource(server, page):
    log_in(page, server)
    page.goto(server.url + "/console/calendar")
    resources = page.locator("table.planner thead th").count() - 1
    assert resources >= 2
    page.emulate_media(media="print")
    expect(page.locator("table.planner")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".print-resource")).to_have_count(resources)
    for index in range(resources):
        expect(page.locator(".print-resource").nth(index)).to_be_visible()
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == resources


def next_weekday_in_a_week() -> date:
    day = date.today() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_a_booking_from_the_day_grid_by_keyboard_alone(server, page):
    log_in(page, server)
    day = next_weekday_in_a_week()
    page.goto(f"{server.url}/console/calendar?date={day.isoformat()}")
    for _ in range(80):  # Tab through the page to the first free slot of the grid
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('slot')"):
            break
    else:
        pytest.fail("no free slot reachable by Tab")
    slot_name = page.evaluate("document.activeElement.textContent")
    assert "Neuer Termin um" in slot_name
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"time=\d\d(:|%3A)\d\d"))
    expect(page.locator("#customer-search")).to_be_focused()
    page.keyboard.type("Mobil")
    expect(page.locator("#new-customer option")).to_have_count(1)
    for _ in range(30):  # date and time inputs take a Tab per segment
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Termin anlegen":
            break
    else:
        pytest.fail("the submit button is not reachable by Tab")
    page.keyboard.press("Enter")
    page.screenshot(path="/tmp/planner/keyboard-after-booking.png", full_page=True)
    expect(page.locator("table.planner a.appt", has_text="Mobil")).to_have_count(1)
    time_label = re.search(r"\d\d:\d\d", slot_name)[0]
    expect(page.locator("table.planner a.appt", has_text="Mobil")).to_contain_text(time_label)


def test_an_appointment_in_the_day_grid_opens_by_tab_and_enter(server, page):
    """The planner read by keyboard: Tab reaches the day's appointments in the grid (with a
    visible focus), Enter opens the appointment's page."""
    log_in(page, server)
    [(day,)] = sql(
        server,
        "SELECT min(start) FROM appointment WHERE start > now() AND resource_id IN "
        "(SELECT id FROM resource WHERE branch_id = (SELECT min(id) FROM branch))",
    )
    local_day = day.astimezone(ZoneInfo("Europe/Berlin")).date()
    page.goto(f"{server.url}/console/calendar?date={local_day.isoformat()}")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('table.planner a.appt')"):
            break
    else:
        pytest.fail("no appointment of the day grid is reachable by Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused appointment shows no focus ring"
    target = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.get_by_role("heading", level=2, name="Status ändern")).to_be_visible()
