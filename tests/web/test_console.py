"""The staff console through the test client: pages, fragments, triage, tenancy, bad input."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import demo, feed, inbox
from core.models import (
    Appointment,
    BlockedContact,
    CoordinationRequest,
    Customer,
    Notification,
    Practice,
    Role,
    Status,
    StatusKind,
    User,
)
from tests.web.staff import NOW, PW_HASH, StaffActions, practice, staff_client

HX = {"HX-Request": "true"}


def requests_in_start(session):
    return session.scalars(
        select(Appointment)
        .join(Status)
        .where(Status.kind == StatusKind.START)
        .order_by(Appointment.start)
    ).all()


def inbox_poll_url(html):
    return re.search(r'hx-get="(/console/inbox\?[^"]+)"', html).group(1).replace("&amp;", "&")


def status_named(session, name):
    return session.scalar(select(Status).where(Status.name == name))


PAGES = [
    "/console/inbox",
    "/console/processed",
    "/console/processed?q=0151+2345&from=2026-11-01&to=2026-11-30&status=1&branch=1&page=2",
    "/console/calendar",
    "/console/calendar?view=week",
    "/console/calendar?cancelled=1&time=09:30&q=a",
    "/console/users",
    "/console/audit",
    "/console/customers",
    "/console/customers/new",
    "/console/outbox",
    "/console/settings",
    "/console/declined",
    "/console/settings/reminders",
    "/console/reminders",
    "/console/reminders?state=skipped",
    "/console/waitlist",
    "/console/feeds",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_full_page_renders(console, path):
    page = console.get(path)
    assert page.status_code == 200
    assert "<html" in page.text and "htmx-2.0.11.min.js" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_pages_need_a_login(app, session):
    demo.seed(session, now=NOW, admin_password_hash="x")
    response = app.test_client().get("/console/inbox")
    assert response.status_code == 302 and "/console/login" in response.location


def test_wrong_password_is_refused_and_repeated_failures_are_throttled(app, session, redis_conn):
    app.config["LOGIN_ATTEMPTS"] = 3
    demo.seed(session, now=NOW, admin_password_hash=PW_HASH)
    staff = StaffActions(app.test_client())
    assert staff.login(password="wrong").status_code == 401
    assert staff.login(password="wrong").status_code == 401
    assert staff.login(password="wrong").status_code == 401
    assert staff.login(password="pw").status_code == 429


def test_inbox_lists_start_requests_soonest_first_and_answers_unchanged_polls_304(console, session):
    page = console.get("/console/inbox")
    starts = requests_in_start(session)
    assert len(starts) >= 2
    positions = [page.text.index(f'/console/appointments/{a.id}"') for a in starts]
    assert positions == sorted(positions)
    waiting = inbox.open_count(session, starts[0].practice_id)
    assert waiting > len(starts)  # the demo's unlinked online bookings wait too
    assert f"<title>({waiting}) Neue Online-Anfragen" in page.text
    assert 'hx-trigger="every 120s, refresh from:body"' in page.text
    fragment = console.get("/console/inbox", headers=HX)
    assert "<html" not in fragment.text and 'id="inbox"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    again = console.get("/console/inbox", headers={**HX, "If-None-Match": fragment.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    starts[0].updated_at = NOW + timedelta(seconds=1)
    session.commit()
    changed = console.get(
        "/console/inbox", headers={**HX, "If-None-Match": fragment.headers["ETag"]}
    )
    assert changed.status_code == 200


def test_arrivals_since_the_inbox_was_opened_stay_highlighted_and_polls_can_answer_304(
    app, console, session
):
    page = console.get("/console/inbox")
    poll = inbox_poll_url(page.text)
    assert 'class="new"' not in page.text  # the demo requests came before
    a = requests_in_start(session)[0]
    a.created_at = a.updated_at = NOW + timedelta(minutes=1)
    session.commit()
    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=2)
    for _ in range(2):  # every later poll too, not only the first one after the arrival
        fragment = console.get(poll, headers=HX)
        assert fragment.text.count('class="new"') == 1
        assert inbox_poll_url(fragment.text) == poll
    unchanged = console.get(poll, headers={**HX, "If-None-Match": fragment.headers["ETag"]})
    assert unchanged.status_code == 304


def test_triage_create_customer_confirm_and_history(console, session):
    a = requests_in_start(session)[0]
    assert console.post(f"/console/appointments/{a.id}/new-customer").status_code == 303
    confirmed = status_named(session, "Bestätigt")
    response = console.post(f"/console/appointments/{a.id}/status", data={"status": confirmed.id})
    assert response.status_code == 303
    session.expire_all()
    a = session.get(Appointment, a.id)
    assert a.customer.last_name == a.req_last_name and a.status.name == "Bestätigt"
    assert a.history[0].to_status.name == "Bestätigt"  # newest first
    kinds = {
        n.kind
        for n in session.scalars(select(Notification).where(Notification.appointment_id == a.id))
    }
    assert "confirmation" in kinds
    assert a.id not in [r.id for r in requests_in_start(session)]  # left the inbox


def test_cancellation_needs_a_reason_which_the_email_row_carries(console, session):
    a = requests_in_start(session)[0]
    cancelled = status_named(session, "Abgesagt")
    page = console.post(f"/console/appointments/{a.id}/status", data={"status": cancelled.id})
    assert page.status_code == 422 and "Grund" in page.text
    session.expire_all()
    assert session.get(Appointment, a.id).status.kind is StatusKind.START
    console.post(
        f"/console/appointments/{a.id}/status",
        data={"status": cancelled.id, "reason": "Akustiker erkrankt", "confirmed": "yes"},
    )
    row = session.scalar(
        select(Notification).where(
            Notification.kind == "cancellation", Notification.appointment_id == a.id
        )
    )
    assert row.payload["reason"] == "Akustiker erkrankt"


def test_linking_shows_differences_and_overwrites_only_what_staff_chose(console, session):
    a = requests_in_start(session)[0]
    known = Customer(
        practice_id=a.practice_id,
        first_name=a.req_first_name,
        last_name=a.req_last_name,
        email="alt@example.org",
        phone="+4930999999",
        created_at=NOW,
    )
    session.add(known)
    session.commit()
    page = console.get(f"/console/appointments/{a.id}")
    assert "alt@example.org" in page.text and a.req_email in page.text
    console.post(
        f"/console/appointments/{a.id}/link", data={"customer": known.id, "take": ["email"]}
    )
    session.expire_all()
    known = session.get(Customer, known.id)
    assert known.email == a.req_email and known.phone == "+4930999999"
    assert session.get(Appointment, a.id).customer_id == known.id


def test_status_of_another_practice_and_moves_into_occupied_slots_change_nothing(console, session):
    other = Practice(slug="other", name="Other", created_at=NOW)
    foreign = Status(practice=other, name="Fremd", kind=StatusKind.CONFIRMED)
    session.add_all([other, foreign])
    session.commit()
    a, b = requests_in_start(session)[:2]
    page = console.post(f"/console/appointments/{a.id}/status", data={"status": foreign.id})
    assert page.status_code == 422
    tz_start = b.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    page = console.post(
        f"/console/appointments/{a.id}/move",
        data={
            "resource": b.resource_id,
            "date": tz_start.date().isoformat(),
            "time": tz_start.strftime("%H:%M"),
        },
    )
    assert page.status_code == 422 and "überschneidet" in page.text
    session.expire_all()
    assert session.get(Appointment, a.id).status.kind is StatusKind.START


def test_a_bad_time_or_missing_choice_in_the_calendar_says_what_to_choose(console, session):
    p = practice(session)
    kind = p.appointment_types[0]
    count = session.scalar(select(func.count()).select_from(Appointment))
    created = console.post(
        "/console/calendar/appointments",
        data={"type": kind.id, "resource": kind.resources[0].id, "date": "2026-11-30", "time": "9"},
    )
    assert created.status_code == 422
    assert "Bitte wählen Sie Kunde, Terminart, Ressource und eine gültige Zeit." in created.text
    a = requests_in_start(session)[0]
    start = a.start
    moved = console.post(
        f"/console/appointments/{a.id}/move",
        data={"resource": a.resource_id, "date": "2026-12-15", "time": "noon"},
    )
    assert moved.status_code == 422
    assert "Bitte wählen Sie eine Ressource und eine gültige Zeit." in moved.text
    session.expire_all()
    assert session.get(Appointment, a.id).start == start
    assert session.scalar(select(func.count()).select_from(Appointment)) == count


def test_staff_create_an_appointment_and_the_calendar_shows_it(console, session):
    p = practice(session)
    customer = Customer(
        practice_id=p.id,
        last_name="Alt",
        first_name="Oma",
        phone="+493012345",
        preferred_channel="sms",
        created_at=NOW,
    )
    session.add(customer)
    session.commit()
    kind = p.appointment_types[0]

    def create_at(time):
        return console.post(
            "/console/calendar/appointments",
            data={
                "customer": customer.id,
                "type": kind.id,
                "resource": kind.resources[0].id,
                "date": "2026-11-30",
                "time": time,
            },
        )

    response = create_at("08:00")
    assert response.status_code == 303
    page = console.get(response.location)
    assert "Oma Alt" in page.text
    again = create_at("08:15")  # overlaps the first
    assert again.status_code == 422


def test_customers_search_create_edit_phone_only(console, session):
    response = console.post(
        "/console/customers/new",
        data={
            "last_name": "Alt",
            "first_name": "Opa",
            "phone": "030 1234567",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 303
    c = session.scalar(select(Customer).where(Customer.first_name == "Opa"))
    assert c.phone == "+49301234567" and c.email is None
    bad = console.post(
        f"/console/customers/{c.id}",
        data={"last_name": "", "email": "x@", "preferred_channel": "email"},
    )
    assert bad.status_code == 422
    results = console.get("/console/customers?q=opa", headers=HX)
    assert "Alt, Opa" in results.text and "<html" not in results.text


def test_settings_are_for_admins_and_validated(app, console, session):
    page = console.post(
        "/console/settings", data={"embed_origins": "not an origin", "inbox_poll_seconds": "5"}
    )
    assert page.status_code == 422
    ok = console.post(
        "/console/settings",
        data={"embed_origins": "https://praxis.example\n", "inbox_poll_seconds": "60"},
    )
    assert ok.status_code == 303
    assert practice(session).origins == ["https://praxis.example"]
    assert "&lt;iframe src=" in console.get("/console/settings").text
    console.post("/console/settings/blocklist", data={"value": "Spam@Example.org"})
    assert session.scalar(select(BlockedContact.value)) == "spam@example.org"
    staff = staff_client(app, session)
    assert staff.get("/console/settings").status_code == 403


def test_outbox_lists_messages_and_retries_a_failed_one(console, session):
    from core import outbox

    n = outbox.add(session, requests_in_start(session)[0], "confirmation", "x@example.org", now=NOW)
    n.state, n.last_error, n.attempts = "failed", "SMTP 550", 5
    session.commit()
    page = console.get("/console/outbox?state=failed")
    assert "SMTP 550" in page.text
    assert console.post(f"/console/outbox/{n.id}/retry").status_code == 303
    session.expire_all()
    assert session.get(Notification, n.id).state == "pending"


def test_every_console_route_404s_for_another_practices_ids(app, session):
    """Walk the URL map as practice B's admin with practice A's ids."""
    demo.seed(session, now=NOW, admin_password_hash="x")
    a_practice = practice(session)
    b = Practice(slug="b", name="B", created_at=NOW)
    session.add(b)
    session.add(
        User(
            practice=b,
            email="b@b.example",
            role=Role.ADMIN,
            password_hash=PW_HASH,
            created_at=NOW,
        )
    )
    a_customer = Customer(practice=a_practice, last_name="A", created_at=NOW)
    session.add(a_customer)
    session.commit()
    a_ids = {
        "appointment_id": session.scalar(select(Appointment.id)),
        "customer_id": a_customer.id,
        "notification_id": 0,
        "entry_id": 1,
        "status_id": a_practice.statuses[0].id,
        "type_id": a_practice.appointment_types[0].id,
        "resource_id": a_practice.branches[0].resources[0].id,
        "absence_id": 0,
        "branch_id": a_practice.branches[0].id,
        "user_id": session.scalar(select(User.id).where(User.practice_id == a_practice.id)),
    }
    session.add(BlockedContact(practice_id=a_practice.id, value="x@y.z", created_at=NOW))
    session.commit()
    a_ids["entry_id"] = session.scalar(select(BlockedContact.id))
    from core.models import Absence

    absence = Absence(
        resource_id=a_ids["resource_id"], starts=datetime(2026, 12, 24), ends=datetime(2026, 12, 25)
    )
    session.add(absence)
    session.commit()
    a_ids["absence_id"] = absence.id
    from core.models import BranchDay

    closing = BranchDay(branch_id=a_ids["branch_id"], day=date(2026, 12, 31), name="Silvester")
    session.add(closing)
    session.commit()
    a_ids["day_id"] = closing.id
    from core import outbox

    a_ids["notification_id"] = (
        outbox.add(
            session,
            session.get(Appointment, a_ids["appointment_id"]),
            "confirmation",
            "x@example.org",
            now=NOW,
        ).id
        or 0
    )
    session.commit()
    a_ids["notification_id"] = session.scalar(select(Notification.id))
    a_ids["request_id"] = _coordination_request(session, a_practice).id
    a_admin = session.scalar(select(User).where(User.practice_id == a_practice.id))
    a_ids["feed_id"] = feed.create(session, a_admin, None, now=NOW)[0].id
    client = app.test_client()
    StaffActions(client).login("b@b.example")
    checked = 0
    before = session.scalar(select(func.count()).select_from(Appointment))
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "<" not in rule.rule:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{name}>", str(a_ids[name]), path)
        for method in rule.methods & {"GET", "POST"}:
            response = client.open(path, method=method, data={"status": 1, "customer": 1})
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked >= 8
    assert session.scalar(select(func.count()).select_from(Appointment)) == before


def _coordination_request(session, p: Practice) -> CoordinationRequest:
    request = CoordinationRequest(
        practice_id=p.id, recipients="x@example.org", send_after=NOW, created_at=NOW
    )
    request.appointments = [session.scalar(select(Appointment))]
    session.add(request)
    session.commit()
    return request


def test_customer_export_and_erasure(console, session):
    a = requests_in_start(session)[0]
    console.post(f"/console/appointments/{a.id}/new-customer")
    session.expire_all()
    customer_id = session.get(Appointment, a.id).customer_id
    export = console.get(f"/console/customers/{customer_id}/export")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    assert export.json["appointments"][0]["submitted"]["email"] == a.req_email
    assert console.post(f"/console/customers/{customer_id}/erase").status_code == 303  # no confirm
    assert session.get(Customer, customer_id) is not None
    console.post(f"/console/customers/{customer_id}/erase", data={"confirm": "yes"})
    session.expire_all()
    assert session.get(Customer, customer_id) is None
    kept = session.get(Appointment, a.id)
    assert kept.customer_id is None and kept.req_email == ""


def test_status_colours_come_from_a_stylesheet_not_inline_styles(console, session):
    page = console.get("/console/inbox")
    assert 'style="' not in page.text
    css = console.get("/console/status-colours.css")
    bestaetigt = status_named(session, "Bestätigt")
    assert css.mimetype == "text/css"
    assert f".status-{bestaetigt.id} .dot {{ background: {bestaetigt.color}; }}" in css.text


def test_settings_edit_statuses_types_hours_absences_and_users(console, session):
    p = practice(session)
    default = next(s for s in p.statuses if s.is_default)
    bad = console.post(
        f"/console/settings/statuses/{default.id}",
        data={"name": "Online-Anfrage", "kind": "start", "color": "#b45309", "position": "0"},
    )
    assert bad.status_code == 422  # no default start status left
    assert (
        console.post(
            "/console/settings/statuses/new",
            data={"name": "Rückruf", "kind": "progress", "color": "#123456", "position": "9"},
        ).status_code
        == 303
    )
    kind = p.appointment_types[0]
    assert (
        console.post(
            f"/console/settings/types/{kind.id}",
            data={
                "name": "Hörtest lang",
                "duration": "45",
                "capacity": "1",
                "online_bookable": "yes",
                "resources": [str(r.id) for r in kind.resources],
            },
        ).status_code
        == 303
    )
    resource = kind.resources[0]
    assert (
        console.post(
            f"/console/settings/resources/{resource.id}/hours", data={"hours": "Mo 25:00-26:00"}
        ).status_code
        == 422
    )
    assert (
        console.post(
            f"/console/settings/resources/{resource.id}/hours",
            data={"hours": "Mo 08:00-12:00\nDi 08:00-12:00, 13:00-17:00"},
        ).status_code
        == 303
    )
    assert (
        console.post(
            f"/console/settings/resources/{resource.id}/absences",
            data={
                "starts": "2026-12-24T00:00",
                "ends": "2026-12-27T00:00",
                "reason": "Weihnachten",
            },
        ).status_code
        == 303
    )
    assert (
        console.post(
            "/console/settings/users",
            data={"email": "neu@demo.example", "password": "lang-genug-123", "role": "staff"},
        ).status_code
        == 303
    )
    session.expire_all()
    assert session.get(type(kind), kind.id).duration_minutes == 45
    assert len(session.get(type(resource), resource.id).working_hours) == 3
    assert session.scalar(select(User).where(User.email == "neu@demo.example")) is not None
    assert "Weihnachten" in console.get("/console/settings").text


def test_merging_two_duplicates_moves_appointments_and_records_it(console, session):
    a, b = requests_in_start(session)[:2]
    for appointment in (a, b):
        console.post(f"/console/appointments/{appointment.id}/new-customer")
    session.expire_all()
    keep, duplicate = (
        session.get(Appointment, a.id).customer,
        session.get(Appointment, b.id).customer,
    )
    keep.phone = None
    session.commit()
    duplicate_id, duplicate_name = duplicate.id, duplicate.full_name
    response = console.post(f"/console/customers/{keep.id}/merge", data={"duplicate": duplicate.id})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Customer, duplicate.id) is None
    moved = session.get(Appointment, b.id)
    assert moved.customer_id == keep.id and moved.history[0].note_params == {
        "name": duplicate_name,
        "duplicate_id": duplicate_id,
        "keep_id": keep.id,
    }
    page = console.get(f"/console/appointments/{b.id}", headers={"Accept-Language": "en"})
    assert f"customer merged: {duplicate_name}" in page.text
    assert session.get(Customer, keep.id).phone == b.req_phone  # filled from the duplicate
    assert (
        console.post(f"/console/customers/{keep.id}/merge", data={"duplicate": keep.id}).status_code
        == 404
    )


def test_settings_edit_branches_and_resources(console, session):
    p = practice(session)
    branch = p.branches[0]
    assert (
        console.post(
            f"/console/settings/branches/{branch.id}",
            data={
                "name": "Filiale Zentrum",
                "street": "Neue Str. 1",
                "postcode": "10115",
                "city": "Berlin",
                "phone": "+49 30 111",
                "email": "zentrum@demo.example",
            },
        ).status_code
        == 303
    )
    assert console.post("/console/settings/branches/new", data={"name": ""}).status_code == 422
    assert (
        console.post(
            "/console/settings/resources/new",
            data={"name": "Kabine 3", "branch": branch.id, "active": "yes"},
        ).status_code
        == 303
    )
    session.expire_all()
    assert session.get(type(branch), branch.id).address == "Neue Str. 1, 10115 Berlin"
    assert "Kabine 3" in [r.name for r in session.get(type(branch), branch.id).resources]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Der Anfangsstatus darf kein abgesagter oder abgelehnter Status sein"),
        ("en", "The initial status must not be a cancelled or declined one"),
    ],
)
def test_a_type_cannot_start_in_a_status_that_frees_its_slot(console, session, language, message):
    p = practice(session)
    kind = p.appointment_types[0]
    before = (kind.name, kind.duration_minutes, kind.initial_status_id)
    freeing = [s for s in p.statuses if s.kind.frees_slot]
    assert freeing
    for status in freeing:
        page = console.post(
            f"/console/settings/types/{kind.id}",
            headers={"Accept-Language": language},
            data={
                "name": "Sofort abgesagt",
                "duration": "90",
                "capacity": "1",
                "resources": [str(r.id) for r in kind.resources],
                "initial_status": str(status.id),
            },
        )
        assert page.status_code == 422
        assert message in page.text
        session.expire_all()
        assert (kind.name, kind.duration_minutes, kind.initial_status_id) == before


def test_history_notes_read_in_the_staff_language_with_local_times(console, session):
    a = requests_in_start(session)[0]
    console.post(f"/console/appointments/{a.id}/new-customer")
    old = a.start
    moved = console.post(
        f"/console/appointments/{a.id}/move",
        data={"date": "2026-12-15", "time": "10:00", "resource": a.resource_id},
    )
    assert moved.status_code == 303
    page = console.get(f"/console/appointments/{a.id}", headers={"Accept-Language": "de"})
    local_old = old.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M")
    assert f"verschoben von {local_old} auf 15.12.2026 10:00" in page.text
    assert f"Kunde angelegt: {a.req_first_name} {a.req_last_name}" in page.text
    assert "moved from" not in page.text and "customer created" not in page.text


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Ein verwendeter Status kann nicht zwischen"),
        ("en", "A status in use cannot change between holding and freeing the slot"),
    ],
)
def test_a_status_in_use_cannot_switch_between_holding_and_freeing_the_slot(
    console, session, language, message
):
    """Turning "Bestätigt" into a cancelled kind would free every confirmed appointment's
    time (and back, double-book freed ones): refused, nothing changes."""
    p = practice(session)
    confirmed = next(s for s in p.statuses if s.kind is StatusKind.CONFIRMED)
    page = console.post(
        f"/console/settings/statuses/{confirmed.id}",
        headers={"Accept-Language": language},
        data={
            "name": confirmed.name,
            "position": str(confirmed.position),
            "kind": "cancelled",
            "color": confirmed.color,
        },
    )
    assert page.status_code == 422
    assert message in page.text
    session.expire_all()
    assert session.get(type(confirmed), confirmed.id).kind is StatusKind.CONFIRMED


def test_the_week_calendar_shows_sunday_only_where_a_resource_works_then(console, session):
    from datetime import time

    from core.models import WorkingHours

    p = practice(session)
    branch = p.branches[0]
    url = f"/console/calendar?view=week&date=2026-11-23&branch={branch.id}"
    assert "28.11.2026</caption>" in console.get(url).text  # Monday to Saturday
    session.add(WorkingHours(resource=branch.resources[0], weekday=6, start=time(10), end=time(12)))
    session.commit()
    assert "29.11.2026</caption>" in console.get(url).text  # Sunday joins the week
