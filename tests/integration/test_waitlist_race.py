"""Done-when of the waiting list (issue 15.3): two customers claim one freed time at once on
PostgreSQL and exactly one gets it; every message is read back from the SMTP sink after a
real RQ worker delivered it: both offers, the winner's update with its calendar file, the
loser's "it is gone", and the winner's old time offered on."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

import links
from core import cancellation, waitlist, waitlist_claim
from core.models import Appointment, Base, Resource
from harness.appointments import book, demo_practice
from tests.integration.test_moves import contenders, waiting_on_locks
from tests.workers import burst, dispatcher, mailing_app

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # Sunday
TUESDAY_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
THURSDAY_9 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
FRIDAY_9 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
CUSTOMERS = {"anna@example.org": THURSDAY_9, "bernd@example.org": FRIDAY_9}


@pytest.fixture
def pg_url(pg_engine):
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with pg_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return pg_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def app(pg_url, tmp_path, smtp, redis_conn):
    with mailing_app(pg_url, tmp_path, smtp, CLOCK=lambda: NOW) as app:
        yield app


def deliver(app) -> None:
    dispatcher(app)
    burst(app)


def offer_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return next(w for w in body.split() if "/offer/" in w)


def test_two_claims_of_one_freed_time_one_wins_and_every_message_arrives(app, pg_url, smtp):
    from extensions import db

    session = db.session
    practice = demo_practice(session, NOW)
    freed = book(session, practice, NOW, start=TUESDAY_9, email="frei@example.org")
    appointments = {}
    for address, start in CUSTOMERS.items():
        appointments[address] = book(session, practice, NOW, start=start, email=address)
        waitlist.join(session, appointments[address], start.date(), NOW)
    cabin = freed.resource_id
    cancellation.cancel_by_customer(session, freed.id, now=NOW)
    deliver(app)

    offer_ids = {}
    for address in CUSTOMERS:
        [offer_mail] = [m for m in smtp.to(address) if "früherer Termin ist frei" in m["Subject"]]
        assert "Dienstag, 24. November 2026, 09:00" in offer_mail["Subject"]
        token = urlsplit(offer_link(offer_mail)).path.rsplit("/", 1)[1]
        offer_ids[address] = links.read_offer_token(token)[0]
    session.remove()

    engine = create_engine(pg_url)
    outcomes: dict[str, waitlist_claim.Outcome] = {}

    def claim(address: str) -> None:
        with Session(engine) as own:
            outcomes[address] = waitlist_claim.claim(own, offer_ids[address], NOW)

    with Session(engine) as blocker:  # both claims queue behind the cabin's lock
        blocker.scalars(select(Resource).where(Resource.id == cabin).with_for_update()).all()
        threads, errors = contenders(*(lambda a=a: claim(a) for a in CUSTOMERS))
        for thread in threads:
            thread.start()
        waiting_on_locks(engine, 2, threads, errors)
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=30)
    engine.dispose()

    assert errors == []
    assert sorted(outcomes.values()) == [waitlist_claim.Outcome.GONE, waitlist_claim.Outcome.MOVED]
    winner = next(a for a, o in outcomes.items() if o is waitlist_claim.Outcome.MOVED)
    loser = next(a for a in CUSTOMERS if a != winner)
    with Session(create_engine(pg_url)) as check:
        at_nine = check.scalars(
            select(Appointment).where(Appointment.start == TUESDAY_9, Appointment.holds_slot)
        ).all()
        assert [a.req_email for a in at_nine] == [winner]

    deliver(app)
    [update] = [m for m in smtp.to(winner) if m["Subject"].startswith("Ihr Termin ist verschoben")]
    [part] = [p for p in update.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    [gone] = [m for m in smtp.to(loser) if "ist vergeben" in m["Subject"]]
    assert "Dienstag, 24. November 2026, 09:00" in gone["Subject"]
    assert len([m for m in smtp.to("praxis@demo.example") if "verschoben" in m["Subject"]]) == 1
    onward = [m for m in smtp.to(loser) if "früherer Termin ist frei" in m["Subject"]][1:]
    if winner == "anna@example.org":  # her Thursday is earlier than Bernd's Friday
        assert ["Donnerstag, 26. November 2026, 09:00" in m["Subject"] for m in onward] == [True]
    else:
        assert onward == []
