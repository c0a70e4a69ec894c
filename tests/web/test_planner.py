"""The calendar as a planner: the day grid per resource, cancelled appointments on demand,
free slots that prefill the booking form, the customer picker's search, the print list."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.models import Appointment, Customer, Status, StatusKind
from tests.web.staff import NOW, practice

BERLIN = ZoneInfo("Europe/Berlin")
HX = {"HX-Request": "true"}


def a_day_with_appointments(session) -> tuple[str, list[Appointment]]:
    first = session.scalars(select(Appointment).order_by(Appointment.start)).first()
    day = first.start.astimezone(BERLIN).date()
    same_day = [
        a
        for a in session.scalars(select(Appointment).order_by(Appointment.start))
        if a.start.astimezone(BERLIN).date() == day and a.branch_id == first.branch_id
    ]
    return day.isoformat(), same_day


def test_the_day_view_has_a_column_per_resource_and_a_row_per_slot(console, session):
    day, appointments = a_day_with_appointments(session)
    branch = appointments[0].branch
    page = console.get(f"/console/calendar?branch={branch.id}&date={day}")
    assert page.status_code == 200
    table = page.text[page.text.index('class="calendar planner"') :]
    table = table[: table.index("</table>")]
    headers = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert headers[1:] == [r.name for r in branch.resources if r.active]
    assert re.search(r'<th scope="row">09:00</th>', table)
    for a in appointments:
        assert f"/console/appointments/{a.id}" in table
    assert 'rowspan="2"' in table or 'rowspan="4"' in table  # 30- or 60-minute bookings


def test_cancelled_appointments_show_only_on_demand(console, session):
    day, appointments = a_day_with_appointments(session)
    a = appointments[0]
    a.status = session.scalars(select(Status).where(Status.kind == StatusKind.CANCELLED)).first()
    session.commit()
    link = f"/console/appointments/{a.id}"
    assert link not in console.get(f"/console/calendar?branch={a.branch_id}&date={day}").text
    shown = console.get(f"/console/calendar?branch={a.branch_id}&date={day}&cancelled=1").text
    assert link in shown and "appt status-" in shown and " cancelled" in shown


def test_a_free_slot_prefills_the_booking_form(console, session):
    day, appointments = a_day_with_appointments(session)
    resource = appointments[0].resource
    page = console.get(f"/console/calendar?branch={resource.branch_id}&date={day}")
    slots = re.findall(r'class="slot" href="([^"]+)"', page.text)
    assert slots
    target = next(s for s in slots if f"resource={resource.id}" in s).replace("&amp;", "&")
    time_value = re.search(r"time=(\d\d):(\d\d)", target)
    form = console.get(target.split("#")[0]).text
    assert f'name="time" required step="300" value="{time_value[1]}:{time_value[2]}"' in form
    assert f'<option value="{resource.id}" selected>' in form
    assert "autofocus" in form


def test_the_customer_picker_finds_a_phone_number_typed_in_national_format(console, session):
    practice_id = practice(session).id
    session.add(
        Customer(
            practice_id=practice_id,
            first_name="Frieda",
            last_name="Telefon",
            phone="+4917012345678",
            created_at=NOW,
        )
    )
    session.commit()
    fragment = console.get("/console/calendar/customers?q=0170 1234 5678", headers=HX)
    assert "<html" not in fragment.text and 'id="customer-choices"' in fragment.text
    assert "Telefon, Frieda" in fragment.text and "1 Kunde angezeigt" in fragment.text
    assert "Telefon, Frieda" in console.get("/console/calendar?q=Frie").text
    none = console.get("/console/calendar/customers?q=Niemand", headers=HX).text
    assert "Kein Kunde passt" in none


def test_the_print_list_has_one_section_per_resource_with_the_days_appointments(console, session):
    day, appointments = a_day_with_appointments(session)
    branch = appointments[0].branch
    page = console.get(f"/console/calendar?branch={branch.id}&date={day}").text
    sections = page.split('<section class="print-resource">')[1:]
    assert len(sections) == len([r for r in branch.resources if r.active])
    a = appointments[0]
    section = next(s for s in sections if a.resource.name in s.split("</h2>")[0])
    assert a.start.astimezone(BERLIN).strftime("%H:%M") in section
