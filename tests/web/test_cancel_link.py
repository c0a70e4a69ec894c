"""The customer's cancel link and .ics download, through the test client on both databases.

The views read the real clock, so the appointments here lie in the real future (the `now`
fixture is a day ahead of the machine's clock at the time of writing; "too late" cases use
the machine's clock explicitly).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

import links
from core import tokens
from core.models import Notification, StatusChange, StatusKind
from harness.appointments import book, demo_practice

SAME_ORIGIN = {"Origin": "http://localhost"}


def signed_long_ago(app, data) -> str:
    """A genuine token whose timestamp lies beyond the links' maximum age."""

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - links.MAX_AGE - 60

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=tokens.Purpose.CANCEL, signer=LongAgo
    )
    return serializer.dumps(data)


def path_of(app, appointment, which=links.cancel_url) -> str:
    with app.app_context():
        return urlsplit(which(appointment, external=True)).path


@pytest.fixture
def practice(session, now):
    return demo_practice(session, now)


@pytest.fixture
def booked(session, practice):
    """Tomorrow-ish by the real clock, 10:00 Berlin."""
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return book(session, practice, start, start=start + timedelta(days=3))


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(StatusChange)),
        session.scalar(select(func.count()).select_from(Notification)),
    )


def test_get_shows_the_appointment_in_local_time_and_changes_nothing(app, client, session, booked):
    before = counts(session)

    page = client.get(path_of(app, booked))

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Termin stornieren?" in text
    assert "Hörtest" in text and "Filiale Mitte" in text
    assert "10:00–10:30" in text  # 09:00 UTC in Berlin's winter time
    assert '<form method="post">' in text
    session.expire_all()
    assert booked.status.kind is StatusKind.CONFIRMED
    assert counts(session) == before


def test_post_cancels_once_frees_the_slot_and_queues_customer_and_staff_mail(
    app, client, session, booked
):
    url = path_of(app, booked)
    sequence = booked.ics_sequence

    page = client.post(url, headers=SAME_ORIGIN)

    assert page.status_code == 200
    assert "Ihr Termin ist storniert" in page.get_data(as_text=True)
    session.expire_all()
    assert booked.status.is_customer_cancellation
    assert booked.status.kind.frees_slot
    assert booked.ics_sequence == sequence + 1
    assert booked.history[0].by == "customer"
    kinds = {n.kind for n in session.scalars(select(Notification))}
    assert {"cancellation", "staff_customer_cancelled"} <= kinds

    again = client.post(url, headers=SAME_ORIGIN)
    assert "bereits storniert" in again.get_data(as_text=True)
    assert "bereits storniert" in client.get(url).get_data(as_text=True)
    session.expire_all()
    assert len(booked.history) == 1  # the one cancellation, not repeated


def test_post_from_another_site_or_without_origin_is_refused(app, client, session, booked):
    url = path_of(app, booked)
    assert client.post(url, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(url).status_code == 403
    session.expire_all()
    assert booked.status.kind is StatusKind.CONFIRMED


def test_referer_of_our_own_page_is_accepted_without_origin(app, client, session, booked):
    url = path_of(app, booked)
    page = client.post(url, headers={"Referer": f"http://localhost{url}"})
    assert page.status_code == 200
    session.expire_all()
    assert booked.status.kind is StatusKind.CANCELLED


def test_after_the_cutoff_the_page_shows_the_branch_phone_instead(app, client, session, practice):
    practice.cancel_cutoff_minutes = 120
    soon = book(session, practice, datetime.now(UTC), start=datetime.now(UTC) + timedelta(hours=1))
    url = path_of(app, soon)

    text = client.get(url).get_data(as_text=True)
    assert "+49 30 1234567" in text and "<form" not in text
    client.post(url, headers=SAME_ORIGIN)
    session.expire_all()
    assert soon.status.kind is StatusKind.CONFIRMED


def test_forged_tampered_or_expired_tokens_get_a_clear_4xx_page(app, client, session, booked):
    url = path_of(app, booked)
    forged = (
        url.rsplit("/", 1)[0]
        + "/"
        + tokens.sign(
            "not-our-secret", tokens.Purpose.CANCEL, {"a": booked.id, "p": booked.practice_id}
        )
    )
    assert client.get(forged).status_code == 404
    assert client.post(forged, headers=SAME_ORIGIN).status_code == 404
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 404
    other_practice = url.replace("/w/demo/", "/w/other/")
    assert client.get(other_practice).status_code == 404
    assert "nicht gültig" in client.get(forged).get_data(as_text=True)

    old = signed_long_ago(app, {"a": booked.id, "p": booked.practice_id})
    page = client.get(url.rsplit("/", 1)[0] + "/" + old)
    assert page.status_code == 410
    assert "abgelaufen" in page.get_data(as_text=True)
    session.expire_all()
    assert booked.status.kind is StatusKind.CONFIRMED


def test_ics_download_is_the_appointment_as_calendar_file(app, client, booked):
    page = client.get(path_of(app, booked, links.ics_url))

    assert page.status_code == 200
    assert page.mimetype == "text/calendar"
    assert 'filename="Termin.ics"' in page.headers["Content-Disposition"]
    calendar = Calendar.from_ical(page.data)
    event = calendar.events[0]
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == booked.ics_uid
    assert event.start.tzinfo.key == "Europe/Berlin" and event.start.hour == 10


def test_a_finished_cancel_page_has_one_heading_the_branch_footer_and_a_way_to_rebook(
    app, client, session, booked
):
    page = client.post(path_of(app, booked), headers=SAME_ORIGIN).get_data(as_text=True)
    assert page.count("<h1>") == 1 and "<h2>" not in page
    assert "<h1>Ihr Termin ist storniert</h1>" in page
    footer = page[page.index("<footer>") :]
    assert "Filiale Mitte" in footer and 'href="tel:+49301234567"' in footer
    assert '<a href="/w/demo/">Neuen Termin buchen</a>' in page
    assert '<meta name="robots" content="noindex">' in page
    assert 'class="booking"' in page  # styled like the booking pages
