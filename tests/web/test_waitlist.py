"""The waiting list for an earlier time, through the test client on both databases: joining
from the mail's link (GET shows, POST acts), the offers a cancellation writes (in order, not
within the lead time, not past the chosen day), taking one (the move, the others' offers
gone), expiry, and the console's list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

import links
from core import cancellation, outbox, waitlist
from core.models import (
    NoteKind,
    Notification,
    NotificationState,
    OfferState,
    Practice,
    WaitlistEntry,
    WaitlistOffer,
)
from harness.appointments import book
from notifications import emails
from tests.web.conftest import WIDGET_NOW
from tests.web.staff import staff_client

SAME_ORIGIN = {"Origin": "http://localhost"}
TUESDAY_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
THURSDAY_9 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
FRIDAY_9 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def practice(widget, session):
    practice = session.scalar(select(Practice))
    for entry in session.scalars(select(WaitlistEntry)):  # the demo's waiting customer
        session.delete(entry)
    session.commit()
    return practice


def path(url: str) -> str:
    return urlsplit(url).path


def mail(session, appointment, kind: str):
    row = session.scalar(
        select(Notification)
        .where(Notification.appointment_id == appointment.id, Notification.kind == kind)
        .order_by(Notification.id.desc())
    )
    return row, emails.compose(row, now=WIDGET_NOW) if row is not None else None


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, part: str) -> str:
    return path(next(w for w in text_of(message).split() if part in w))


def waiting(session, practice, start, email, until=None):
    appointment = book(session, practice, WIDGET_NOW, start=start, email=email)
    waitlist.join(session, appointment, until or start.date(), WIDGET_NOW)
    return appointment


def offers(session) -> list[WaitlistOffer]:
    session.expire_all()
    return list(session.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id)))


def test_joining_from_the_mail_link_shows_first_and_acts_on_post(widget, session, practice):
    appointment = book(session, practice, WIDGET_NOW, start=THURSDAY_9)
    _, confirmation = mail(session, appointment, "confirmation")
    url = link_in(confirmation, "/wait/")
    assert "Lieber früher? Wir melden uns" in text_of(confirmation)

    page = widget.get(url)
    assert page.status_code == 200 and "Frühere Termine bis einschließlich" in page.text
    assert '<meta name="robots" content="noindex">' in page.text  # a token page
    assert session.scalar(select(WaitlistEntry)) is None
    assert widget.post(url, data={"until": "2026-11-25"}).status_code == 403
    assert widget.post(url, data={"until": "2026-12-25"}, headers=SAME_ORIGIN).status_code == 422

    joined = widget.post(url, data={"until": "2026-11-25"}, headers=SAME_ORIGIN)

    assert joined.status_code == 200 and "Sie stehen auf der Warteliste" in joined.text
    entry = session.scalar(select(WaitlistEntry))
    assert entry.until == date(2026, 11, 25) and entry.ended_at is None
    left = widget.post(url, data={"action": "leave"}, headers=SAME_ORIGIN)
    assert "nicht mehr auf der Warteliste" in left.text
    session.expire_all()
    assert entry.ended_at is not None


def test_a_cancellation_offers_the_time_in_order_and_taking_it_moves_the_booking(
    widget, session, practice
):
    freed = book(session, practice, WIDGET_NOW, start=TUESDAY_9, email="frei@example.org")
    first = waiting(session, practice, THURSDAY_9, "erste@example.org")
    second = waiting(session, practice, FRIDAY_9, "zweite@example.org")
    too_soon = waiting(session, practice, FRIDAY_9, "bald@example.org", until=date(2026, 11, 23))

    cancellation.cancel_by_customer(session, freed.id, now=WIDGET_NOW)

    made = offers(session)
    assert [o.entry.appointment_id for o in made] == [first.id, second.id]  # not too_soon
    assert all(o.start == TUESDAY_9 and o.resource_id == freed.resource_id for o in made)
    assert made[0].expires_at == WIDGET_NOW + timedelta(hours=12)
    row, offer_mail = mail(session, first, "waitlist_offer")
    assert row.recipient == "erste@example.org" and offer_mail["To"] == "erste@example.org"
    assert (
        "Ein früherer Termin ist frei: Dienstag, 24. November 2026, 09:00" in offer_mail["Subject"]
    )
    assert mail(session, too_soon, "waitlist_offer")[0] is None
    other_row, _ = mail(session, second, "waitlist_offer")
    other_row.state = NotificationState.SENT  # the second customer already has the email
    session.commit()

    url = link_in(offer_mail, "/offer/")
    shown = widget.get(url)
    assert shown.status_code == 200 and "Früheren Termin übernehmen?" in shown.text
    assert '<meta name="robots" content="noindex">' in shown.text
    assert widget.post(url).status_code == 403
    taken = widget.post(url, headers=SAME_ORIGIN)

    assert taken.status_code == 200 and "Ihr Termin ist verschoben" in taken.text
    session.expire_all()
    assert first.start == TUESDAY_9 and first.history[0].note_kind == NoteKind.WAITLIST_CLAIMED
    assert first.history[0].by == "customer"
    assert [o.state for o in offers(session)[:2]] == [OfferState.CLAIMED, OfferState.GONE]
    assert session.get(WaitlistEntry, made[0].entry_id).ended_at is not None
    _, gone = mail(session, second, "waitlist_gone")
    assert "ist vergeben" in gone["Subject"] and gone["To"] == "zweite@example.org"
    _, update = mail(session, first, "rescheduled")
    assert "von Donnerstag, 26. November 2026, 09:00" in text_of(update)
    onward = offers(session)[2:]  # the first's Thursday is offered on to the second
    assert [(o.entry.appointment_id, o.start) for o in onward] == [(second.id, THURSDAY_9)]

    second_url = path(links.offer_url(made[1]))
    lost = widget.post(second_url, headers=SAME_ORIGIN)
    assert lost.status_code == 409 and "etwas schneller" in lost.text
    session.expire_all()
    assert second.start == FRIDAY_9


def test_no_offer_within_the_lead_time_and_an_expired_offer_is_not_sent_or_taken(
    app, widget, session, practice
):
    soon = WIDGET_NOW + timedelta(minutes=practice.min_lead_minutes)
    freed_soon = book(session, practice, WIDGET_NOW, start=soon, email="bald@example.org")
    freed = book(session, practice, WIDGET_NOW, start=TUESDAY_9, email="frei@example.org")
    first = waiting(session, practice, THURSDAY_9, "erste@example.org")
    cancellation.cancel_by_customer(session, freed_soon.id, now=WIDGET_NOW)
    assert offers(session) == []

    cancellation.cancel_by_customer(session, freed.id, now=WIDGET_NOW)
    [offer] = offers(session)
    row, _ = mail(session, first, "waitlist_offer")
    later = offer.expires_at
    assert outbox.skip_reason(session, row, later) == outbox.Skip.OFFER_GONE
    assert outbox.skip_reason(session, row, later - timedelta(minutes=1)) is None

    app.config["CLOCK"] = lambda: later
    page = widget.post(path(links.offer_url(offer)), headers=SAME_ORIGIN)
    assert page.status_code == 409 and "abgelaufen" in page.text
    session.expire_all()
    assert first.start == THURSDAY_9


def test_a_booking_of_the_freed_time_closes_its_offers(widget, session, practice):
    freed = book(session, practice, WIDGET_NOW, start=TUESDAY_9, email="frei@example.org")
    first = waiting(session, practice, THURSDAY_9, "erste@example.org")
    cancellation.cancel_by_customer(session, freed.id, now=WIDGET_NOW)
    [offer] = offers(session)
    row, _ = mail(session, first, "waitlist_offer")

    book(session, practice, WIDGET_NOW, start=TUESDAY_9, email="neu@example.org")

    assert offers(session)[0].state is OfferState.GONE
    assert outbox.skip_reason(session, row, WIDGET_NOW) == outbox.Skip.OFFER_GONE
    assert mail(session, first, "waitlist_gone")[0] is None  # the offer never left: silence


def test_staff_see_the_waiting_list_per_branch(widget, app, session, practice):
    first = waiting(session, practice, THURSDAY_9, "erste@example.org")
    client = staff_client(app, session)
    page = client.get(f"/console/waitlist?branch={first.branch_id}")
    assert page.status_code == 200
    assert (
        "Warteliste" in page.text and "Erika Mustermann" in page.text and "26.11.2026" in page.text
    )
    other = next(b for b in practice.branches if b.id != first.branch_id)
    assert "wartet niemand" in client.get(f"/console/waitlist?branch={other.id}").text


def test_the_settings_switch_both_features_and_refuse_bad_offer_hours(console, session):
    practice = session.scalar(select(Practice))
    form = {"embed_origins": "", "inbox_poll_seconds": "120", "customer_options": "1"}

    refused = console.post("/console/settings", data={**form, "waitlist_offer_hours": "0"})

    assert refused.status_code == 422 and "Zwischen 1 und 168 Stunden." in refused.text
    session.expire_all()
    assert practice.waitlist_offer_hours == 12 and practice.waitlist_enabled
    saved = console.post("/console/settings", data={**form, "waitlist_offer_hours": "3"})
    assert saved.status_code == 303
    session.expire_all()
    assert practice.waitlist_offer_hours == 3
    assert not practice.waitlist_enabled and not practice.reschedule_enabled  # unchecked
    console.post(
        "/console/settings",
        data={**form, "waitlist_enabled": "yes", "reschedule_enabled": "yes"},
    )
    session.expire_all()
    assert practice.waitlist_enabled and practice.reschedule_enabled
    page = console.get("/console/settings").text
    assert 'name="reschedulable" value="yes" checked' in page
