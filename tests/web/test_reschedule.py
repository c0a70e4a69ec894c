"""The customer moves their appointment through the "Termin verschieben" link of its mails,
on both databases: the link in the mail, GET shows, POST moves (same origin only), the
history, the update mail with its calendar file, the staff alert, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

import links
from core.models import NoteKind, Notification, StatusChange
from harness.appointments import book
from notifications import emails
from tests.web.conftest import WIDGET_NOW

SAME_ORIGIN = {"Origin": "http://localhost"}
TUESDAY_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
WEDNESDAY_9 = "2026-11-25T09:00"
WEDNESDAY_9_UTC = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def practice(widget, session):
    from core.models import Practice

    return session.scalar(select(Practice))


@pytest.fixture
def booked(session, practice):
    return book(session, practice, WIDGET_NOW, start=TUESDAY_9)


def mail(session, appointment, kind: str):
    row = session.scalar(
        select(Notification)
        .where(Notification.appointment_id == appointment.id, Notification.kind == kind)
        .order_by(Notification.id.desc())
    )
    return emails.compose(row, now=WIDGET_NOW)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def reschedule_path(message) -> str:
    url = next(w for w in text_of(message).split() if "/move/" in w)
    return urlsplit(url).path


def week_path(appointment) -> str:
    return urlsplit(links.reschedule_url(appointment, external=True)).path


def move_path(appointment) -> str:
    return week_path(appointment).rsplit("/", 1)[0] + "/book"


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(StatusChange)),
        session.scalar(select(func.count()).select_from(Notification)),
    )


def test_from_the_mail_link_to_a_new_time_with_update_mail_and_staff_alert(widget, session, booked):
    path = reschedule_path(mail(session, booked, "confirmation"))
    uid, sequence, before = booked.ics_uid, booked.ics_sequence, counts(session)

    week = widget.get(path)
    assert week.status_code == 200
    page = week.get_data(as_text=True)
    assert "Neue Zeit wählen" in page and "Dienstag, 24. November 2026, 09:00" in page
    assert '<meta name="robots" content="noindex">' in page  # a token page
    assert f'href="book?start={WEDNESDAY_9}&amp;' in page
    confirm_path = path.rsplit("/", 1)[0] + "/book"
    shown = widget.get(f"{confirm_path}?start={WEDNESDAY_9}&type={booked.type_id}")
    assert shown.status_code == 200 and "Termin verschieben?" in shown.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in shown.get_data(as_text=True)
    assert counts(session) == before  # GET changes nothing (mail scanners)
    assert widget.post(confirm_path, data={"start": WEDNESDAY_9_UTC.isoformat()}).status_code == 403

    done = widget.post(
        confirm_path, data={"start": WEDNESDAY_9_UTC.isoformat()}, headers=SAME_ORIGIN
    )

    assert done.status_code == 200
    assert "Ihr Termin ist verschoben" in done.get_data(as_text=True)
    session.expire_all()
    assert booked.start == WEDNESDAY_9_UTC and booked.ics_sequence == sequence + 1
    assert booked.status.kind == "confirmed" and booked.req_email == "erika@example.org"
    note = booked.history[0]
    assert (note.note_kind, note.by) == (NoteKind.RESCHEDULED, "customer")
    assert note.note_params == {"old": TUESDAY_9.isoformat(), "new": WEDNESDAY_9_UTC.isoformat()}

    update = mail(session, booked, "rescheduled")
    assert update["To"] == "erika@example.org"
    assert "Mittwoch, 25. November 2026" in update["Subject"]
    assert "von Dienstag, 24. November 2026, 09:00" in text_of(update)
    assert "/move/" in text_of(update) and "/cancel/" in text_of(update)
    [part] = [p for p in update.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == "REQUEST" and calendar["METHOD"] == "REQUEST"
    event = calendar.events[0]
    assert str(event["UID"]) == uid and event["SEQUENCE"] == sequence + 1
    assert event.start.hour == 9 and event.start.day == 25
    staff = mail(session, booked, "staff_customer_rescheduled")
    assert staff["To"] == "praxis@demo.example"
    assert "Erika Mustermann" in text_of(staff) and "Dienstag, 24. November" in text_of(staff)

    again = widget.post(
        confirm_path, data={"start": WEDNESDAY_9_UTC.isoformat()}, headers=SAME_ORIGIN
    )
    assert "bereits die Zeit Ihres Termins" in again.get_data(as_text=True)
    shown_again = widget.get(f"{confirm_path}?start=2026-11-25T09:00")
    assert "bereits die Zeit Ihres Termins" in shown_again.get_data(as_text=True)
    session.expire_all()
    assert booked.ics_sequence == sequence + 1  # the replay moved nothing


def test_a_time_taken_meanwhile_gets_the_nearest_free_ones_and_keeps_the_appointment(
    widget, session, practice, booked
):
    path = move_path(booked)
    for _ in range(2):  # both cabins busy on Wednesday at 09:00
        book(session, practice, WIDGET_NOW, start=WEDNESDAY_9_UTC, email="x@example.org")
    before = counts(session)

    page = widget.post(path, data={"start": WEDNESDAY_9_UTC.isoformat()}, headers=SAME_ORIGIN)

    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Diese Zeit ist gerade vergeben worden" in text
    assert 'type="radio" name="start"' in text
    session.expire_all()
    assert booked.start == TUESDAY_9 and counts(session) == before


@pytest.mark.parametrize("where", ["practice", "type"])
def test_forbidden_by_the_settings_the_mail_has_no_link_and_the_page_refuses(
    widget, session, practice, booked, where
):
    if where == "practice":
        practice.reschedule_enabled = False
    else:
        booked.type.reschedulable = False
    session.commit()

    message = mail(session, booked, "confirmation")
    assert "/move/" not in text_of(message) and "/cancel/" in text_of(message)
    page = widget.get(week_path(booked))
    assert "kann nicht mehr online verschoben werden" in page.get_data(as_text=True)
    moved = widget.post(
        move_path(booked),
        data={"start": WEDNESDAY_9_UTC.isoformat()},
        headers=SAME_ORIGIN,
    )
    assert "+49 30 1234567" in moved.get_data(as_text=True)
    session.expire_all()
    assert booked.start == TUESDAY_9


def test_the_link_expires_at_the_cancellation_deadline(widget, session, practice, booked):
    practice.cancel_cutoff_minutes = (TUESDAY_9 - WIDGET_NOW) // timedelta(minutes=1)
    session.commit()
    assert "/move/" not in text_of(mail(session, booked, "confirmation"))
    page = widget.get(week_path(booked)).get_data(as_text=True)
    assert "kann nicht mehr online verschoben werden" in page and "<form" not in page


def test_a_cancel_token_does_not_open_the_reschedule_page(widget, session, booked):
    cancel_token = links.customer_token(booked)
    assert widget.get(f"/w/demo/move/{cancel_token}/week").status_code == 404
    bad = widget.post(
        f"/w/demo/move/{cancel_token}/book",
        data={"start": WEDNESDAY_9_UTC.isoformat()},
        headers=SAME_ORIGIN,
    )
    assert bad.status_code == 404


def test_an_english_customer_reads_english_pages_and_mail(widget, session, booked):
    booked.language = "en"
    session.commit()
    path = move_path(booked)
    page = widget.post(path, data={"start": WEDNESDAY_9_UTC.isoformat()}, headers=SAME_ORIGIN)
    assert "Your appointment has been moved" in page.get_data(as_text=True)
    update = mail(session, booked, "rescheduled")
    assert "Your appointment has been moved to Wednesday 25 November 2026" in update["Subject"]
    assert "from Tuesday 24 November 2026" in text_of(update)


def test_a_garbled_start_is_a_clear_400(widget, session, booked):
    path = move_path(booked)
    assert widget.post(path, data={"start": "gestern"}, headers=SAME_ORIGIN).status_code == 400
    assert widget.get(f"{path}?start=gestern").status_code == 400
