"""The booking widget through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

import links
from core import abuse
from core.models import Appointment, Customer, Notification, Practice
from tests.web.conftest import WIDGET_NOW as NOW

ORIGIN = {"Origin": "http://localhost"}
PERSON = {
    "first_name": "Erika",
    "last_name": "Mustermann",
    "email": "erika@example.org",
    "phone": "0151 12345678",
    "consent": "yes",
    "salutation": "Frau",
}


def type_id(session, name):
    practice = session.scalar(select(Practice))
    return next(t.id for t in practice.appointment_types if t.name == name)


def week_page(client, session, name="Hörtest", branch=1, **extra):
    response = client.get(
        "/w/demo/week", query_string={"type": type_id(session, name), "branch": branch, **extra}
    )
    assert response.status_code == 200, response.data
    return response


def slot_links(page) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="(book\?[^"]+)"', page.text)]


def open_form(client, session, index=0, **extra):
    link = slot_links(week_page(client, session, **extra))[index]
    form = client.get("/w/demo/" + link)
    assert form.status_code == 200
    return form, token_of(form)


def token_of(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', page.text).group(1)


def post(client, token, **fields):
    return client.post("/w/demo/book", data={"token": token, **PERSON, **fields}, headers=ORIGIN)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_entry_offers_the_types_then_the_branch_with_its_address(widget):
    page = widget.get("/w/demo/")
    assert page.status_code == 200
    for text in ("Hörtest", "Beratung", "Gruppenschulung", "30 Minuten"):
        assert text in page.text
    assert 'lang="de"' in page.text
    week = widget.get(widget.get("/w/demo/where?type=1").location)
    for text in ("Filiale Mitte", "Hauptstraße 12", "+49 30 1234567"):
        assert text in week.text


def test_week_grid_is_a_table_of_dated_days_with_accessible_slots(widget, session):
    page = week_page(widget, session)
    assert '<th scope="col">' in page.text and "23.11." in page.text and "27.11." in page.text
    assert 'aria-label="Montag, 23. November, 09:00"' in page.text
    assert "Vorherige Woche" not in page.text  # nothing before the current week
    assert "Nächste Woche" in page.text
    assert len(page.data) < 30_000


def test_first_view_opens_on_the_first_week_with_a_free_slot(widget, session, app):
    app.config["CLOCK"] = lambda: datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # Saturday
    page = week_page(widget, session)
    assert 'aria-label="Montag, 30. November, 09:00"' in page.text


def test_a_booking_is_stored_as_a_request_with_its_outbox_rows(widget, session):
    _, token = open_form(widget, session)
    response = post(widget, token)
    assert response.status_code == 303
    done = widget.get(response.location)
    assert "Ihr Termin ist bestätigt" in done.text and "Spam" in done.text
    assert "/cancel/" in done.text and "Termin.ics" in done.text
    appointment = session.scalar(
        select(Appointment).where(Appointment.req_email != "").order_by(Appointment.id.desc())
    )
    assert appointment.req_phone == "+4915112345678"  # E.164
    assert appointment.customer_id is None and count(session, Customer) == 0
    assert appointment.consent_at == NOW
    assert appointment.consent_privacy_url == "https://demo.example/datenschutz"
    kinds = {
        n.kind
        for n in session.scalars(
            select(Notification).where(Notification.appointment_id == appointment.id)
        )
    }
    assert kinds == {"confirmation", "confirmation_copy", "staff_new_request"}


def test_an_approval_type_says_request_received_not_yet_confirmed(widget, session):
    _, token = open_form(widget, session, name="Beratung")
    done = widget.get(post(widget, token).location)
    assert "Anfrage erhalten – noch nicht bestätigt" in done.text


def test_a_replayed_form_books_nothing_new(widget, session, app):
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    first, second = post(widget, token), post(widget, token)
    assert first.status_code == second.status_code == 303
    with app.app_context():
        same = {links.read_customer_token(r.location.rsplit("/", 1)[1]) for r in (first, second)}
    assert len(same) == 1  # both lead to the one appointment
    assert count(session, Appointment) == before + 1


def test_invalid_input_shows_errors_next_to_fields_and_keeps_values(widget, session):
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    page = post(
        widget,
        token,
        first_name="",
        email="erika@",
        phone="12",
        consent="",
        last_name="Müller-Lüdenscheidt",
    )
    assert page.status_code == 422
    assert 'class="error-summary"' in page.text
    assert 'id="email-error"' in page.text and 'aria-describedby="phone-error"' in page.text
    assert 'value="Müller-Lüdenscheidt"' in page.text
    assert count(session, Appointment) == before


def test_slot_taken_meanwhile_offers_nearest_times_and_keeps_the_typed_data(widget, session):
    _, first = open_form(widget, session, resource=1)
    _, second = open_form(widget, session, resource=1)
    assert post(widget, first).status_code == 303
    page = post(widget, second, first_name="Zweite")
    assert page.status_code == 409
    assert "gerade vergeben" in page.text and 'value="Zweite"' in page.text
    assert page.text.count('name="start"') >= 3
    alternative = re.search(r'name="start" value="([^"]+)"', page.text).group(1)
    again = post(widget, token_of(page), first_name="Zweite", start=alternative)
    assert again.status_code == 303


def test_widget_sets_no_cookie_has_no_script_and_frames_only_for_the_practice(widget, session):
    pages = [widget.get("/w/demo/"), week_page(widget, session), open_form(widget, session)[0]]
    for page in pages:
        assert "Set-Cookie" not in page.headers
        assert "<script" not in page.text and " onclick" not in page.text
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
        assert "frame-ancestors 'self' https://www.hoerakustik-sonnenschein.de" in csp


def test_language_is_carried_through_links_and_forms(widget, session):
    page = week_page(widget, session, lang="en")
    assert 'aria-label="Monday 23 November, 09:00"' in page.text
    assert all("lang=en" in link for link in slot_links(page))
    form = widget.get("/w/demo/" + slot_links(page)[0])
    assert 'name="lang" value="en"' in form.text and "First name" in form.text


@pytest.mark.parametrize(
    "path",
    [
        "/w/unknown/",
        "/w/demo/week?type=1&branch=1&week=2020-01-06",
        "/w/demo/week?type=1&branch=1&week=nonsense",
        "/w/demo/book?type=1&branch=1&start=2026-11-29T03:00",
        "/w/demo/book?type=1&branch=1&start=garbage",
        "/w/demo/week?type=999&branch=1&resource=77",
    ],
)
def test_bad_urls_get_a_4xx_page_in_the_widget_look(widget, path):
    response = widget.get(path)
    assert 400 <= response.status_code < 500 or response.status_code in (302, 409)
    if response.status_code >= 400:
        assert "widget.css" in response.text


def test_tampered_token_foreign_origin_and_oversized_body_change_nothing(widget, session):
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    assert post(widget, token[:-3] + "abc").status_code == 400
    foreign = widget.post(
        "/w/demo/book", data={"token": token, **PERSON}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    huge = widget.post(
        "/w/demo/book", data={"token": token, "message": "x" * 100_000}, headers=ORIGIN
    )
    assert huge.status_code == 413
    assert count(session, Appointment) == before


def test_honeypot_and_blocked_contacts_look_successful_but_store_nothing(widget, session):
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    page = post(widget, token, website="http://spam.example")
    assert page.status_code == 200 and "bestätigt" in page.text
    practice = session.scalar(select(Practice))
    abuse.block(session, practice.id, "erika@example.org", now=NOW)
    session.commit()
    _, token = open_form(widget, session)
    page = post(widget, token)
    assert page.status_code == 200 and "bestätigt" in page.text
    assert count(session, Appointment) == before


def test_throwaway_addresses_are_refused_with_a_clear_message(widget, session):
    _, token = open_form(widget, session)
    page = post(widget, token, email="someone@mailinator.com")
    assert page.status_code == 422 and "Wegwerf" in page.text


def test_floods_get_a_polite_page(widget, session, app):
    app.config.update(BOOKING_LIMIT_PER_CONTACT=1)
    _, token = open_form(widget, session)
    assert post(widget, token).status_code == 303
    _, token = open_form(widget, session, index=3)
    page = post(widget, token)
    assert page.status_code == 429 and "rufen Sie uns an" in page.text


def test_booking_still_works_when_redis_is_down(widget, session, app):
    from redis import Redis

    from harness.smtp import free_port

    app.extensions["redis"] = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    _, token = open_form(widget, session)
    assert post(widget, token).status_code == 303


def test_the_cached_week_page_changes_as_soon_as_a_booking_is_made(widget, session, redis_conn):
    before = week_page(widget, session, resource=1)
    assert redis_conn.keys("week:*")  # served and cached
    first = slot_links(before)[0]
    assert slot_links(week_page(widget, session, resource=1))[0] == first  # from the cache
    form = widget.get("/w/demo/" + first)
    assert post(widget, token_of(form)).status_code == 303
    after = week_page(widget, session, resource=1)
    assert first not in slot_links(after)


def test_changed_working_hours_reach_the_cached_week_page_at_once(widget, session, app):
    from core.models import Resource, WorkingHours

    before = week_page(widget, session, resource=1)
    assert 'aria-label="Montag, 23. November, 09:00"' in before.text
    resource = session.get(Resource, 1)
    resource.working_hours = [WorkingHours(weekday=0, start=time(14), end=time(16))]
    session.commit()
    after = week_page(widget, session, resource=1)
    assert 'aria-label="Montag, 23. November, 09:00"' not in after.text
    assert 'aria-label="Montag, 23. November, 14:00"' in after.text
