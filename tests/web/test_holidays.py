"""Public holidays and closing days per branch: the widget, the console's settings, calendar
and staff bookings agree on which day is closed and what it is called (demo: Berlin)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import refresh
from sqlalchemy import select

from core.models import Appointment, Branch, BranchDay, Customer
from tests.web.staff import NOW, practice

CHRISTMAS_WEEK = "2026-12-21"  # Friday the 25th and Saturday the 26th are holidays in Berlin


def hoertest(session):
    return next(t for t in practice(session).appointment_types if t.name == "Hörtest")


def mitte(session) -> Branch:
    return practice(session).branches[0]


def week(client, session, monday=CHRISTMAS_WEEK, **extra):
    page = client.get(
        "/w/demo/week",
        query_string={"type": hoertest(session).id, "branch": mitte(session).id, "week": monday}
        | extra,
    )
    assert page.status_code == 200
    return page


def offered_days(page) -> set[str]:
    return set(re.findall(r"book\?start=(\d{4}-\d\d-\d\d)T", page.text))


def test_the_widget_shows_a_holiday_closed_with_its_name_in_german_and_english(widget, session):
    german = week(widget, session)
    assert "Erster Weihnachtstag" in german.text and "Christmas Day" not in german.text
    assert "2026-12-25" not in offered_days(german) and "2026-12-24" in offered_days(german)
    refresh()  # the test's app context outlives each request; so would its locale
    english = week(widget, session, lang="en")
    assert "Christmas Day" in english.text and "Erster Weihnachtstag" not in english.text
    assert "2026-12-25" not in offered_days(english)


def test_the_demo_shows_its_closing_day_when_no_holiday_is_near(widget, session):
    """The demo is seeded on 22 November 2026: no Berlin holiday in four weeks, so Filiale
    Mitte closes on Monday 7 December for its own outing."""
    assert [(d.day, d.name) for d in mitte(session).days] == [
        (date(2026, 12, 7), "Betriebsausflug")
    ]
    page = week(widget, session, monday="2026-12-07")
    assert "Betriebsausflug" in page.text and "2026-12-07" not in offered_days(page)


def test_an_unknown_state_is_refused_with_a_clear_message_and_changes_nothing(console, session):
    branch = mitte(session)
    url = f"/console/settings/branches/{branch.id}/holidays"
    page = console.post(url, data={"country": "AT", "subdivision": "BY"})
    assert page.status_code == 422
    assert "Unbekanntes Bundesland (Kanton) BY für AT; möglich sind: 1, 2, 3" in page.text
    page = console.post(url, data={"country": "FR", "subdivision": ""})
    assert page.status_code == 422 and "Unbekanntes Land FR" in page.text
    session.expire_all()
    assert (branch.country, branch.subdivision) == ("DE", "BE")
    assert console.post(url, data={"country": "AT", "subdivision": "9"}).status_code == 303
    session.expire_all()
    assert (branch.country, branch.subdivision) == ("AT", "9")
    assert "Mariä Empfängnis" in console.get("/console/settings").text  # 8 December in Wien


def test_opening_on_a_holiday_offers_it_and_removing_the_opening_closes_it(app, console, session):
    branch, widget = mitte(session), app.test_client()
    url = f"/console/settings/branches/{branch.id}/days"
    refused = console.post(url, data={"day": "2026-12-23", "is_open": "yes"})
    assert refused.status_code == 422 and "kein Feiertag" in refused.text
    assert console.post(url, data={"day": "2026-12-25", "is_open": "yes"}).status_code == 303
    page = week(widget, session)
    assert "2026-12-25" in offered_days(page) and "Erster Weihnachtstag" not in page.text
    opening = session.scalar(select(BranchDay).where(BranchDay.is_open.is_(True)))
    assert console.post(f"/console/settings/branch-days/{opening.id}/delete").status_code == 303
    assert "2026-12-25" not in offered_days(week(widget, session))


def test_a_closing_day_needs_a_name_and_shows_it_to_customers(app, console, session):
    url = f"/console/settings/branches/{mitte(session).id}/days"
    nameless = console.post(url, data={"day": "2026-12-22", "name": " "})
    assert nameless.status_code == 422 and "Namen" in nameless.text
    past = console.post(url, data={"day": "2026-11-20", "name": "Inventur"})
    assert past.status_code == 422 and "Vergangenheit" in past.text
    assert console.post(url, data={"day": "2026-12-22", "name": "Inventur"}).status_code == 303
    page = week(app.test_client(), session)
    assert "Inventur" in page.text and "2026-12-22" not in offered_days(page)


def test_no_setting_closes_a_day_on_which_appointments_lie(console, session):
    """Closing a day, or choosing a state whose holiday it is, would strand its customers:
    refused with the day named until staff move or cancel them."""
    branch = mitte(session)
    booked = session.scalars(select(Appointment).order_by(Appointment.start)).first()
    day = booked.start.date()  # Berlin and UTC agree at 10:00 local
    url = f"/console/settings/branches/{branch.id}/days"
    page = console.post(url, data={"day": day.isoformat(), "name": "Inventur"})
    assert page.status_code == 422
    assert f"Am {day:%d.%m.%Y} liegen Termine" in page.text
    customer = Customer(practice_id=branch.practice_id, last_name="Drei", created_at=NOW)
    session.add(customer)
    session.commit()
    created = console.post(
        "/console/calendar/appointments",
        data={
            "customer": customer.id,
            "type": hoertest(session).id,
            "resource": branch.resources[0].id,
            "date": "2027-01-06",
            "time": "10:00",
        },
    )
    assert created.status_code == 303  # 6 January: a holiday in Bavaria, not in Berlin
    region = console.post(
        f"/console/settings/branches/{branch.id}/holidays",
        data={"country": "DE", "subdivision": "BY"},
    )
    assert region.status_code == 422 and "06.01.2027" in region.text
    session.expire_all()
    assert branch.subdivision == "BE" and not [d for d in branch.days if d.day == day]


def test_staff_cannot_book_or_move_onto_a_closed_day_and_the_calendar_names_it(console, session):
    branch = mitte(session)
    customer = Customer(practice_id=branch.practice_id, last_name="Fest", created_at=NOW)
    session.add(customer)
    session.commit()
    fields = {
        "customer": customer.id,
        "type": hoertest(session).id,
        "resource": branch.resources[0].id,
        "time": "10:00",
    }
    refused = console.post("/console/calendar/appointments", data=fields | {"date": "2026-12-25"})
    assert refused.status_code == 422
    assert "Die Filiale ist am 25.12.2026 geschlossen (Erster Weihnachtstag)" in refused.text
    booked = session.scalars(select(Appointment).order_by(Appointment.start)).first()
    moved = console.post(
        f"/console/appointments/{booked.id}/move",
        data={"resource": booked.resource_id, "date": "2026-12-26", "time": "10:00"},
    )
    assert moved.status_code == 422 and "Zweiter Weihnachtstag" in moved.text
    week_page = console.get(
        "/console/calendar",
        query_string={"branch": branch.id, "date": "2026-12-23", "view": "week"},
    )
    assert "geschlossen: Erster Weihnachtstag" in week_page.text
    assert session.scalar(select(Appointment).where(Appointment.customer_id == customer.id)) is None
