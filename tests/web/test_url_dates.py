"""Dates from URLs and forms are bounded in one place: never an overflow, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core import url_dates
from core.models import Appointment, Customer, Resource
from tests.web.test_console import NOW
from tests.web.test_widget import type_id

EXTREMES = ["0001-01-01", "9999-12-31"]


def test_the_range_reaches_five_years_either_way_and_names_the_nearest_date():
    today = date(2028, 2, 29)
    assert url_dates.bounds(today) == (date(2023, 2, 28), date(2033, 2, 28))
    assert url_dates.parse_day("2030-06-01", today) == date(2030, 6, 1)
    with pytest.raises(url_dates.DateOutOfRange) as beyond:
        url_dates.parse_day("9999-12-31", today)
    assert beyond.value.nearest == date(2033, 2, 28)
    with pytest.raises(ValueError):
        url_dates.parse_day("31.12.2030", today)


@pytest.mark.parametrize("day", EXTREMES)
@pytest.mark.parametrize("view", ["day", "week"])
def test_the_console_calendar_shows_the_nearest_valid_day_for_extreme_dates(console, day, view):
    page = console.get("/console/calendar", query_string={"date": day, "view": view})
    assert page.status_code == 200
    nearest = "2021" if day.startswith("0001") else "2031"
    assert nearest in page.text


@pytest.mark.parametrize("day", EXTREMES)
def test_a_staff_booking_at_an_extreme_date_is_refused_with_a_message(console, session, day):
    resource = session.scalar(select(Resource))
    customer = Customer(practice_id=resource.practice_id, last_name="Muster", created_at=NOW)
    session.add(customer)
    session.commit()
    before = session.scalar(select(func.count()).select_from(Appointment))
    response = console.post(
        "/console/calendar/appointments",
        data={
            "customer": customer.id,
            "type": type_id(session, "Hörtest"),
            "resource": resource.id,
            "date": day,
            "time": "10:00",
        },
    )
    assert response.status_code == 422
    assert "gültige Zeit" in response.text
    assert session.scalar(select(func.count()).select_from(Appointment)) == before


@pytest.mark.parametrize("day", EXTREMES)
def test_the_widget_answers_extreme_weeks_and_starts_with_a_page_not_a_500(widget, session, day):
    query = {"type": type_id(session, "Hörtest"), "branch": 1}
    week = widget.get("/w/demo/week", query_string={**query, "week": day})
    assert week.status_code == 400 and "Dieses Datum ist ungültig" in week.text
    form = widget.get("/w/demo/book", query_string={**query, "start": f"{day}T09:00"})
    assert form.status_code == 400 and "Dieses Datum ist ungültig" in form.text
