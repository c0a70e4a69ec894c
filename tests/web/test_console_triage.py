"""Triage through the test client: every online booking waits in the inbox until it is linked,
the processed list (search, filters, pages), the navigation's count, an expired session
under htmx, status kinds and archiving, the please-confirm badge's real state."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import coordination
from core.models import (
    Appointment,
    Branch,
    Customer,
    Notification,
    NotificationState,
    Source,
    Status,
    StatusKind,
)
from harness.appointments import book
from tests.web.staff import NOW, practice

HX = {"HX-Request": "true"}


def unlinked_confirmed(session) -> Appointment:
    """One of the demo's online bookings that went straight to a confirmed status."""
    return session.scalars(
        select(Appointment)
        .join(Status)
        .where(
            Appointment.source == Source.ONLINE,
            Appointment.customer_id.is_(None),
            Status.kind == StatusKind.CONFIRMED,
        )
        .order_by(Appointment.start)
    ).first()


def processed_booking(session, start, *, email, phone="+4915199887766", first="Erika"):
    """An online booking staff have linked to a (new) customer: it left the inbox."""
    p = practice(session)
    a = book(session, p, NOW, start=start, email=email, commit=False)
    a.req_first_name, a.req_phone = first, phone
    a.customer = Customer(practice=p, first_name=first, last_name="Mustermann", created_at=NOW)
    session.commit()
    return a


def test_an_auto_confirmed_online_booking_waits_in_the_inbox_until_a_customer_is_linked(
    console, session
):
    a = unlinked_confirmed(session)
    assert a is not None, "the demo has online bookings of a type without approval"
    row = re.search(rf'<tr id="request-{a.id}".*?</tr>', console.get("/console/inbox").text, re.S)
    assert row and "nicht zugeordnet" in row.group(0) and "Bestätigt" in row.group(0)
    assert f"/console/appointments/{a.id}" not in console.get("/console/processed").text

    response = console.post(f"/console/appointments/{a.id}/new-customer")
    assert response.status_code == 303
    assert f'id="request-{a.id}"' not in console.get("/console/inbox").text
    assert f"/console/appointments/{a.id}" in console.get("/console/processed").text


def test_an_exact_match_is_suggested_in_the_inbox_but_never_linked_without_a_click(
    console, session
):
    a = unlinked_confirmed(session)
    session.add_all(
        [
            Customer(
                practice_id=a.practice_id,
                first_name=a.req_first_name.upper(),
                last_name=a.req_last_name,
                phone=a.req_phone,
                created_at=NOW,
            ),
            # Same email, other name: a relative sharing the address is no exact match.
            Customer(
                practice_id=a.practice_id,
                first_name="Otto",
                last_name=a.req_last_name,
                email=a.req_email,
                created_at=NOW,
            ),
        ]
    )
    session.commit()
    page = console.get("/console/inbox").text
    row = re.search(rf'<tr id="request-{a.id}".*?</tr>', page, re.S).group(0)
    assert f"Vorschlag: {a.req_first_name.upper()} {a.req_last_name}" in row
    assert "Otto" not in row
    session.expire_all()
    assert session.get(Appointment, a.id).customer_id is None


def test_processed_requests_newest_first_in_pages_of_25(console, session):
    start = NOW + timedelta(days=3)
    made = []
    for i in range(30):
        a = processed_booking(session, start + timedelta(minutes=30 * i), email=f"p{i}@example.org")
        a.created_at = NOW - timedelta(hours=30 - i)  # p29 arrived last
        made.append(a)
    session.commit()
    first = console.get("/console/processed").text
    emails = re.findall(r"(p\d+)@example.org", first)
    assert emails[:3] == ["p29", "p28", "p27"] and len(emails) == 25
    assert "Seite 1 von 2" in first and 'rel="next"' in first
    second = console.get("/console/processed?page=2").text
    assert re.findall(r"(p\d+)@example.org", second) == ["p4", "p3", "p2", "p1", "p0"]
    assert console.get("/console/processed?page=99").status_code == 200  # the last page


def test_processed_search_finds_a_phone_number_in_any_format(console, session):
    start = NOW + timedelta(days=3)
    target = processed_booking(session, start, email="kurt@example.org", phone="+4917012345678")
    processed_booking(session, start + timedelta(hours=1), email="x@example.org")
    for typed in ("0170 12345678", "+49 170 1234-5678", "(0170) 123 456 78", "12345678"):
        page = console.get("/console/processed", query_string={"q": typed}).text
        assert "kurt@example.org" in page and "x@example.org" not in page, typed
    for typed in ("KURT@example", "erika mustermann"):
        assert (
            "kurt@example.org" in console.get("/console/processed", query_string={"q": typed}).text
        )
    assert "kurt@example.org" not in console.get("/console/processed?q=0171+9999999").text
    assert f"/console/appointments/{target.id}" in console.get("/console/processed?q=kurt").text
    for wildcard in ("%", "_"):  # taken literally, not as SQL patterns
        assert (
            "kurt@example.org"
            not in console.get("/console/processed", query_string={"q": wildcard}).text
        )


def test_processed_filters_by_date_status_and_branch(console, session):
    p = practice(session)
    early = processed_booking(session, NOW + timedelta(days=2), email="early@example.org")
    late = processed_booking(session, NOW + timedelta(days=9), email="late@example.org")
    cancelled = next(s for s in p.statuses if s.kind is StatusKind.CANCELLED)
    late.status = cancelled
    session.commit()
    day = (NOW + timedelta(days=2)).date().isoformat()
    page = console.get(f"/console/processed?from={day}&to={day}").text
    assert "early@example.org" in page and "late@example.org" not in page
    page = console.get(f"/console/processed?status={cancelled.id}").text
    assert "late@example.org" in page and "early@example.org" not in page
    other = session.scalar(select(Branch).where(Branch.id != early.branch_id))
    page = console.get(f"/console/processed?branch={other.id}").text
    assert "early@example.org" not in page and "late@example.org" not in page
    bad = console.get("/console/processed?from=2026-13-45&to=99999-01-01")
    assert bad.status_code == 200 and "Bitte ein Datum wie 2026-11-23" in bad.text
    assert "early@example.org" in bad.text  # the unreadable filter is left out, not guessed


def test_every_page_counts_the_waiting_requests_and_the_count_polls_with_304(console, session):
    waiting = len(re.findall(r'<tr id="request-', console.get("/console/inbox").text))
    page = console.get("/console/customers").text
    assert re.search(rf'class="count">{waiting}<span class="sr-only"> offen', page)
    count = console.get("/console/inbox/count", headers=HX)
    assert "<html" not in count.text and f">{waiting}<" in count.text
    again = console.get(
        "/console/inbox/count", headers={**HX, "If-None-Match": count.headers["ETag"]}
    )
    assert again.status_code == 304
    book(session, practice(session), NOW, start=NOW + timedelta(days=4), email="neu@example.org")
    changed = console.get(
        "/console/inbox/count", headers={**HX, "If-None-Match": count.headers["ETag"]}
    )
    assert changed.status_code == 200 and f">{waiting + 1}<" in changed.text


def test_an_expired_session_sends_an_htmx_poll_to_the_login_page_not_into_the_inbox(console):
    console.post("/console/logout")
    poll = console.get("/console/inbox", headers=HX)
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/console/login"
    assert poll.data == b""
    assert console.get("/console/inbox/count", headers=HX).headers["HX-Redirect"]
    page = console.get("/console/inbox")
    assert page.status_code == 302 and "/console/login" in page.location


def test_status_kinds_are_shown_in_the_staff_language(console):
    page = console.get("/console/settings").text
    assert "Bestätigt (sendet die Bestätigung)" in page
    assert ">confirmed<" not in page and ">start<" not in page


def test_an_unused_status_is_archived_off_the_choices_and_offered_again(console, session):
    p = practice(session)
    unused = Status(practice=p, name="Rückruf", kind=StatusKind.PROGRESS, position=9)
    session.add(unused)
    session.commit()
    a = unlinked_confirmed(session)
    assert "Rückruf" in console.get(f"/console/appointments/{a.id}").text
    response = console.post(
        f"/console/settings/statuses/{unused.id}/archive", data={"archived": "yes"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Status, unused.id).archived
    assert "Rückruf" not in console.get(f"/console/appointments/{a.id}").text
    assert "Archivierte Status" in console.get("/console/settings").text
    refused = console.post(f"/console/appointments/{a.id}/status", data={"status": unused.id})
    assert refused.status_code == 422
    console.post(f"/console/settings/statuses/{unused.id}/archive", data={"archived": "no"})
    assert "Rückruf" in console.get(f"/console/appointments/{a.id}").text


def test_a_status_in_use_or_needed_cannot_be_archived(console, session):
    p = practice(session)
    a = unlinked_confirmed(session)
    in_use = a.status  # upcoming appointments are in it, and a type starts bookings in it
    default = next(s for s in p.statuses if s.is_default)
    for status in (in_use, default):
        page = console.post(
            f"/console/settings/statuses/{status.id}/archive", data={"archived": "yes"}
        )
        assert page.status_code == 422 and "Nicht gespeichert" in page.text
        session.expire_all()
        assert not session.get(Status, status.id).archived


def test_the_please_confirm_badge_says_outbox_until_the_mail_left(app, console, session):
    a = unlinked_confirmed(session)
    console.post(f"/console/appointments/{a.id}/new-customer")
    session.expire_all()
    a = session.get(Appointment, a.id)
    a.customer.email = "kunde@example.org"
    request = coordination.create(
        session, [a], recipients="kunde@example.org", allow_decline=True, message="", now=NOW
    )
    session.commit()
    assert "Geplant" in console.get(f"/console/appointments/{a.id}").text
    app.config["CLOCK"] = lambda: request.send_after + timedelta(minutes=5)
    page = console.get(f"/console/appointments/{a.id}").text
    assert "Im Postausgang" in page and "Versendet" not in page
    row = session.scalar(
        select(Notification).where(Notification.coordination_request_id == request.id)
    )
    row.state = NotificationState.FAILED
    session.commit()
    assert "Nicht zugestellt" in console.get(f"/console/appointments/{a.id}").text
    row.state, row.sent_at = NotificationState.SENT, request.send_after
    request.sent_at = request.send_after
    session.commit()
    assert "Versendet" in console.get(f"/console/appointments/{a.id}").text
