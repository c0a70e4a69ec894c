"""The widget in a real browser and under concurrent load, served by gunicorn."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from core import closures, demo
from tests.e2e.conftest import axe_violations, book_in_widget, fill_details, start_server

pytestmark = pytest.mark.e2e
FAST = {"WIDGET_MIN_FILL_SECONDS": "0", "BOOKING_LIMIT_PER_IP": "1000"}


@pytest.fixture
def server(database_url, tmp_path, redis_conn):
    server = start_server(database_url, tmp_path, FAST, workers=4)
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def fetch(url: str, data: dict | None = None, origin: str | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Origin": origin} if origin else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one_appointment(server, database_url):
    _, week = fetch(server.url + "/w/demo/week?type=1&branch=1&resource=1")
    link = re.search(r'href="(book\?[^"]+)"', week).group(1).replace("&amp;", "&")
    tokens = [
        re.search(r'name="token" value="([^"]+)"', fetch(server.url + "/w/demo/" + link)[1]).group(
            1
        )
        for _ in range(24)
    ]

    def book(i: int) -> tuple[int, str]:
        return fetch(
            server.url + "/w/demo/book",
            {
                "token": tokens[i],
                "first_name": f"Kunde{i}",
                "last_name": "Test",
                "email": f"kunde{i}@example.org",
                "phone": f"+49151000000{i:02d}",
                "consent": "yes",
            },
            origin=server.url,
        )

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(book, range(24)))
    winners = [r for r in results if r[0] == 200 and "Ihr Termin ist bestätigt" in r[1]]
    taken = [r for r in results if r[0] == 409 and "gerade vergeben" in r[1]]
    assert len(winners) == 1 and len(taken) == 23, [r[0] for r in results]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        booked = conn.execute(
            text("SELECT count(*) FROM appointment WHERE req_email LIKE 'kunde%'")
        ).scalar()
    engine.dispose()
    assert booked == 1


def test_a_customer_without_javascript_books_through_the_whole_flow(server, page_without_js):
    page = page_without_js
    book_in_widget(page, server.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Ihr Termin ist bestätigt"
    page.set_viewport_size({"width": 320, "height": 720})
    for path in ("/w/demo/", "/w/demo/week?type=1&branch=1"):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


def first_closed_day(database_url: str) -> date:
    """The demo's first closed day at Filiale Mitte: a Berlin holiday in the next weeks, or
    the closing day the demo adds when none is near."""
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    last = today + timedelta(weeks=demo.HOLIDAY_WEEKS)
    holidays = closures.statutory("DE", demo.STATE, today, last, "de")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        own = conn.execute(text("SELECT day FROM branch_day WHERE NOT is_open")).scalars().all()
    engine.dispose()
    return min([*holidays, *(d if isinstance(d, date) else date.fromisoformat(d) for d in own)])


def test_every_widget_page_passes_axe(server, axe_page):
    page = axe_page
    visited = []

    def check(url_or_none=None):
        if url_or_none:
            page.goto(url_or_none)
        assert axe_violations(page) == [], page.url
        visited.append(page.url)

    check(server.url + "/w/demo/")
    check(server.url + "/w/demo/week?type=1&branch=1&resource=1")
    page.locator("table.grid a").first.click()
    check()
    form_url = page.url
    page.get_by_role("button", name="Verbindlich buchen").click()  # empty: errors
    assert page.locator(".error-summary").count() == 1
    check()
    fill_details(page)
    page.get_by_role("button", name="Verbindlich buchen").click()
    check()  # success
    cancel = page.get_by_role("link", name="Diesen Termin absagen").get_attribute("href")
    page.goto(form_url)  # the same slot again: taken, with the nearest free times
    assert "gerade vergeben" in page.content()
    check()
    check(server.url + cancel)
    closed = first_closed_day(server.env["DATABASE_URL"])  # a column named for a holiday
    check(server.url + f"/w/demo/week?type=1&branch=1&week={closed.isoformat()}&lang=en")
    assert page.locator("td.closed").count() >= 1
    check(server.url + "/w/unknown/")
    assert len(visited) == 9
