"""The cheap paths of issue 17: an unchanged poll answers 304 without a single SQL statement,
a week page is cached by version (never by the minute) with an ETag, never offers a time
inside the lead time, misses with a fixed number of queries, and a 409 takes its
alternatives from the cached grids."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import event, select

from core.models import Appointment, AppointmentType, Practice, Resource, User, WorkingHours
from extensions import db
from tests.web.test_widget import open_form, post, token_of, type_id, week_page

HX = {"HX-Request": "true"}


@contextmanager
def statements():
    """The SQL statements the app sends while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def poll(client, url="/console/inbox", etag=None):
    headers = {**HX, **({"If-None-Match": f'"{etag}"'} if etag else {})}
    return client.get(url, headers=headers)


def etag_of(response) -> str:
    return response.get_etag()[0]


def test_an_unchanged_poll_answers_304_without_any_sql(console, session):
    for url in ("/console/inbox", "/console/inbox/count"):
        first = poll(console, url)
        assert first.status_code == 200 and first.get_etag()[0]
        with statements() as sent:
            again = poll(console, url, etag_of(first))
        assert again.status_code == 304
        assert sent == []


def test_a_committed_change_ends_the_304_of_poll_and_week_page(console, session, app):
    inbox = poll(console)
    week = console.get(f"/w/demo/week?type={type_id(session, 'Hörtest')}&branch=1")
    appointment = session.scalars(select(Appointment)).first()
    appointment.req_message = "changed"
    session.commit()
    assert poll(console, etag=etag_of(inbox)).status_code == 200
    assert len(app.extensions["redis"].keys("week:*")) == 1
    console.get(f"/w/demo/week?type={type_id(session, 'Hörtest')}&branch=1")
    # a new version: a second page entry, computed afresh (the first is unreachable)
    assert len(app.extensions["redis"].keys("week:*")) == 2
    assert week.status_code == 200


def test_a_deactivated_login_gets_the_login_page_on_its_next_poll(console, session):
    first = poll(console)
    user = session.scalars(select(User)).first()
    user.active = False
    session.commit()
    again = poll(console, etag=etag_of(first))
    assert again.status_code == 401 and again.headers["HX-Redirect"] == "/console/login"


def test_a_week_page_has_an_etag_and_answers_304_while_unchanged(widget, session):
    page = week_page(widget, session)
    assert (
        "s-maxage=" in page.headers["Cache-Control"] and "public" in page.headers["Cache-Control"]
    )
    assert "Set-Cookie" not in page.headers
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]
    url = f"/w/demo/week?type={type_id(session, 'Hörtest')}&branch=1"
    with statements() as sent:
        cached = widget.get(url, headers={"If-None-Match": f'"{etag_of(page)}"'})
    assert cached.status_code == 304 and sent == []
    # a change in another week raises the version: recomputed, the same week, still 304
    far = session.scalars(select(Appointment)).first()
    far.req_message = "elsewhere"
    session.commit()
    with statements() as sent:
        recomputed = widget.get(url, headers={"If-None-Match": f'"{etag_of(page)}"'})
    assert recomputed.status_code == 304 and sent


def test_a_cached_page_never_offers_a_time_inside_the_lead_time(widget, session, app):
    """Monday 23 November opens at 09:00 Berlin (08:00 UTC); the lead time is two hours."""
    practice = session.scalar(select(Practice))
    assert practice.min_lead_minutes == 120
    nine = 'aria-label="Montag, 23. November, 09:00"'
    url = f"/w/demo/week?type={type_id(session, 'Hörtest')}&branch=1&resource=1"
    app.config["CLOCK"] = lambda: datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert nine in widget.get(url).text
    app.config["CLOCK"] = lambda: datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    with statements() as sent:
        assert nine in widget.get(url).text  # a hit, and still true
    assert sent == []
    app.config["CLOCK"] = lambda: datetime(2026, 11, 23, 6, 0, 1, tzinfo=UTC)
    later = widget.get(url)
    assert nine not in later.text
    assert 'aria-label="Montag, 23. November, 09:15"' in later.text


def test_a_week_page_miss_costs_the_same_queries_however_many_resources(widget, session, app):
    url = f"/w/demo/week?type={type_id(session, 'Hörtest')}&branch=1&week=2026-11-30"
    with statements() as few:
        assert widget.get(url).status_code == 200
    kind = session.get(AppointmentType, type_id(session, "Hörtest"))
    for n in range(4):
        resource = Resource(practice_id=kind.practice_id, branch_id=1, name=f"Kabine {n + 5}")
        resource.working_hours = [
            WorkingHours(weekday=d, start=time(9), end=time(17)) for d in range(5)
        ]
        kind.resources.append(resource)
    session.commit()
    with statements() as many:
        assert widget.get(url).status_code == 200
    assert len(many) == len(few) <= 8, many


def test_a_409_takes_its_alternatives_from_the_cached_grid(widget, session):
    _, first = open_form(widget, session, resource=1)
    _, second = open_form(widget, session, resource=1)
    _, third = open_form(widget, session, resource=1)
    assert post(widget, first).status_code == 303
    with statements() as first_409:
        taken = post(widget, second, first_name="Zweite")
    assert taken.status_code == 409
    offered = re.findall(r'name="start" value="([^"]+)"', taken.text)
    booked = session.scalar(select(Appointment.start).where(Appointment.req_first_name == "Erika"))
    assert offered and booked not in [datetime.fromisoformat(o) for o in offered]
    with statements() as sent:
        again = post(widget, third, first_name="Dritte")
    assert again.status_code == 409
    assert re.findall(r'name="start" value="([^"]+)"', again.text) == offered
    # the first 409 computed two weeks and stored them; the second reads them from Redis
    assert _grid_queries(sent) == _grid_queries(first_409) - 2
    start = datetime.fromisoformat(offered[0])
    assert start >= datetime(2026, 11, 22, 10, 0, tzinfo=UTC) + timedelta(hours=2)
    assert post(widget, token_of(again), first_name="Dritte", start=offered[0]).status_code == 303


def _grid_queries(sent: list[str]) -> int:
    """The availability reads (booked times of resources), one per week or day computed."""
    return sum(1 for s in sent if "appointment.busy_start, appointment.busy_end" in s)
