"""Triage in a real browser: an auto-confirmed online booking waits in the inbox until staff
link a customer and is then found in the processed list by its phone number as typed on the
phone; a poll keeps the keyboard focus; a poll after the session expired loads the login.

Polls are triggered deterministically (`refresh` on the body, which the inbox and the
navigation's count listen to besides their timer)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import book_in_widget
from tests.e2e.test_console_browser import log_in, server  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


def refresh(page) -> None:
    """What the poll timer does, now: once htmx (a deferred script) has loaded."""
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("htmx.trigger(document.body, 'refresh')")


def test_an_auto_confirmed_booking_waits_until_linked_then_is_found_by_its_phone_number(
    server,  # noqa: F811
    page,
    page_without_js,
):
    log_in(page, server)
    waiting = int(page.locator("#nav-count .count").inner_text().split()[0])
    book_in_widget(
        page_without_js,
        server.url,
        kind="Hörtest",  # no approval: confirmed at once
        slot=3,
        first_name="Walter",
        last_name="Wunderlich",
        email="walter@example.org",
        phone="0152 28889999",
    )
    expect(page_without_js.get_by_role("heading", level=1)).not_to_contain_text("nicht bestätigt")
    refresh(page)
    row = page.locator("#inbox tr", has_text="Walter Wunderlich")
    expect(row).to_contain_text("nicht zugeordnet")
    expect(row).to_contain_text("Bestätigt")
    expect(page.locator("#nav-count .count")).to_contain_text(str(waiting + 1))

    row.get_by_role("link").click()
    page.get_by_role("button", name="Kunden aus der Anfrage anlegen").click()
    page.get_by_role("link", name=re.compile("Online-Anfragen")).first.click()
    expect(page.locator("#inbox")).not_to_contain_text("Walter Wunderlich")
    expect(page.locator("#nav-count .count")).to_contain_text(str(waiting))

    page.get_by_role("link", name="Bearbeitete Anfragen").click()
    page.get_by_label("Name, E-Mail oder Telefon").fill("0152 2888 9999")
    page.get_by_role("button", name="Suchen").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody")).to_contain_text("01522 8889999")  # as dialled


def test_a_poll_keeps_the_keyboard_focus_and_the_scroll_position(
    server,  # noqa: F811
    page,
    page_without_js,
):
    page.set_viewport_size({"width": 1000, "height": 400})
    log_in(page, server)
    links = page.locator("#inbox tbody a")
    focused = links.nth(links.count() - 1)
    focused.focus()
    focused_id = focused.get_attribute("id")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.evaluate("document.activeElement.keptAcrossPolls = true")  # dies with the node
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0, "the inbox must be long enough to scroll"
    book_in_widget(page_without_js, server.url, kind="Hörtest", slot=8, first_name="Fiona")
    refresh(page)
    expect(page.locator("#inbox")).to_contain_text("Fiona")
    # The very element is still there and focused (rows are morphed, not replaced) ...
    assert page.evaluate("document.activeElement.id") == focused_id
    assert page.evaluate("document.activeElement.keptAcrossPolls") is True
    # ... and the page did not scroll away.
    assert page.evaluate("window.scrollY") == scrolled


def test_a_poll_after_the_session_expired_loads_the_login_page(server, page):  # noqa: F811
    log_in(page, server)
    expect(page.locator("#inbox")).to_be_visible()
    page.context.clear_cookies()
    refresh(page)
    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.get_by_role("button", name="Anmelden")).to_have_count(1)
    expect(page.locator("#inbox")).to_have_count(0)
