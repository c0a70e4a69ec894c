"""The staff calendar feed: made in the console, its URL shown once and only its hash kept;
the feed parses in icalendar and in vobject (an independent parser), holds the practice's
active appointments with names and types only unless the practice allows contact details,
answers 304 while nothing changed (with Redis and without), and stops when revoked, renewed
or its login is deactivated."""

from __future__ import annotations

import re
from datetime import timedelta

import vobject
from icalendar import Calendar
from redis import Redis
from sqlalchemy import select

from core import feed as feeds
from core.models import Appointment, CalendarFeed, Practice, Resource, Status, StatusKind, User
from harness.smtp import free_port
from tests.web.staff import NOW, practice, staff_client
from tests.web.test_console import requests_in_start

URL = re.compile(r"http://localhost:5000(/feeds/[A-Za-z0-9_-]{43}\.ics)")


def make_feed(console, resource="") -> str:
    page = console.post("/console/feeds", data={"resource": resource})
    assert page.status_code == 200
    [path] = URL.findall(page.text)
    return path


def expected(session, resource_id=None) -> set[str]:
    """The UIDs the feed should hold: slot-holding appointments from a month back on."""
    query = select(Appointment).where(
        Appointment.holds_slot.is_(True), Appointment.start >= NOW - feeds.PAST
    )
    if resource_id:
        query = query.where(Appointment.resource_id == resource_id)
    return {f"staff-{a.ics_uid}" for a in session.scalars(query)}


def test_the_url_is_shown_once_and_only_its_hash_is_stored(console, session):
    path = make_feed(console)
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    [row] = session.scalars(select(CalendarFeed)).all()
    assert row.token_hash == feeds.digest(token) and token not in row.token_hash
    assert token not in console.get("/console/feeds").text


def test_the_feed_parses_in_icalendar_and_vobject_with_names_and_types_only(
    console, client, session
):
    path = make_feed(console)
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["ETag"]
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == expected(session) and len(events) > 3
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert str(calendar["X-WR-CALNAME"]) == "Hörakustik Sonnenschein"
    parsed = vobject.readOne(response.data.decode())
    assert len(parsed.vevent_list) == len(events)
    a = session.scalars(select(Appointment).where(Appointment.holds_slot.is_(True))).first()
    [same] = [e for e in parsed.vevent_list if e.uid.value == f"staff-{a.ics_uid}"]
    assert same.dtstart.value == a.start  # aware, read through the VTIMEZONE
    assert a.type.name in same.summary.value
    assert a.requester_name in same.summary.value or a.customer.full_name in same.summary.value
    assert same.url.value.endswith(f"/console/appointments/{a.id}")
    assert a.req_email.encode() not in response.data and b"@" not in response.data.replace(
        b"@termine", b""
    )


def test_contact_details_appear_only_when_the_practice_allows_them(console, client, session):
    path = make_feed(console)
    before = client.get(path)
    p = practice(session)
    saved = console.post(
        "/console/settings",
        data={"embed_origins": "", "inbox_poll_seconds": "120", "feed_shows_contact": "yes"},
    )
    assert saved.status_code == 303
    session.expire_all()
    assert p.feed_shows_contact is True
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    booked = requests_in_start(session)[0]
    assert booked.req_email in after.text.replace("\r\n ", "")


def test_unchanged_is_304_and_a_change_shows_at_once(console, client, session, redis_conn):
    path = make_feed(console)
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    [key] = redis_conn.keys("feed:*")
    assert 0 < redis_conn.ttl(key) <= 300
    cancelled = session.scalar(select(Status).where(Status.kind == StatusKind.CANCELLED))
    gone = requests_in_start(session)[0]
    console.post(
        f"/console/appointments/{gone.id}/status",
        data={"status": cancelled.id, "reason": "krank", "confirmed": "yes"},
    )
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert f"staff-{gone.ics_uid}" not in changed.text
    linked = requests_in_start(session)[0]
    console.post(f"/console/appointments/{linked.id}/new-customer")
    etag = client.get(path).headers["ETag"]
    session.expire_all()
    linked.customer.last_name = "Neuname"  # only the customer row changes
    session.commit()
    renamed = client.get(path, headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and "Neuname" in renamed.text


def test_without_redis_the_feed_is_built_each_time_and_still_answers_304(
    app, console, client, session
):
    path = make_feed(console)
    app.extensions["redis"] = Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2
    )
    first = client.get(path)
    assert first.status_code == 200
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    moved = requests_in_start(session)[0]
    moved.start += timedelta(days=1)
    moved.end += timedelta(days=1)
    moved.updated_at = NOW + timedelta(minutes=1)
    session.commit()  # the version bump fails: Redis is away
    after = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]


def test_a_resource_feed_holds_only_that_resource(console, client, session):
    resource = session.scalars(select(Resource).order_by(Resource.id)).first()
    path = make_feed(console, str(resource.id))
    events = Calendar.from_ical(client.get(path).data).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == expected(session, resource.id)


def test_revoked_renewed_or_deactivated_feeds_stop(console, client, session):
    path = make_feed(console)
    [row] = session.scalars(select(CalendarFeed)).all()
    page = console.post(f"/console/feeds/{row.id}/renew")
    [renewed] = URL.findall(page.text)
    assert client.get(path).status_code == 404 and client.get(renewed).status_code == 200
    owner = session.get(User, row.user_id)
    owner.active = False
    session.commit()
    assert client.get(renewed).status_code == 404
    owner.active = True
    session.commit()
    assert console.post(f"/console/feeds/{row.id}/revoke").status_code == 303
    assert client.get(renewed).status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    assert session.scalars(select(CalendarFeed)).all() == []


def test_staff_manage_their_own_feeds_and_an_admin_revokes_anyones(app, console, session):
    staff = staff_client(app, session)
    theirs = make_feed(staff)
    [row] = session.scalars(select(CalendarFeed)).all()
    make_feed(console)
    assert len(URL.findall(staff.get("/console/feeds").text)) == 0
    assert staff.get("/console/feeds").text.count("Widerrufen") == 1  # only their own
    mine = session.scalar(select(CalendarFeed).where(CalendarFeed.id != row.id))
    assert staff.post(f"/console/feeds/{mine.id}/revoke").status_code == 404
    assert console.post(f"/console/feeds/{row.id}/renew").status_code == 404
    assert console.post(f"/console/feeds/{row.id}/revoke").status_code == 303
    assert app.test_client().get(theirs).status_code == 404


def test_another_practices_resource_cannot_be_subscribed(console, session):
    other = Practice(slug="other", name="Other", created_at=NOW)
    session.add(other)
    session.flush()
    from core.models import Branch

    branch = Branch(practice=other, name="B")
    foreign = Resource(practice=other, branch=branch, name="Fremd")
    session.add_all([branch, foreign])
    session.commit()
    assert console.post("/console/feeds", data={"resource": foreign.id}).status_code == 404
    assert session.scalars(select(CalendarFeed)).all() == []
