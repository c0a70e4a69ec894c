"""The one move use case (core.moving) under load: reschedules and bookings of one time race
on PostgreSQL and exactly one wins; a move re-plans the reminder; a staff move still holds
the booking rule. Core only, no web layer."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from core import booking, outbox, reminders, rescheduling, scheduling
from core.models import Appointment, Base, Customer, Notification, NotificationState, Resource
from harness.appointments import book, demo_practice

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # Sunday
TUESDAY_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
WEDNESDAY_9 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def pg(pg_engine):
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with pg_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return pg_engine


@pytest.fixture
def s(database_url):
    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def waiting_on_locks(engine, count: int, threads: list[threading.Thread], errors: list) -> None:
    """Block until `count` other backends wait for a lock (no sleeps: the database says),
    or fail when a contender ended without queueing (with what it raised)."""
    deadline = time.monotonic() + 60  # a guard against hanging the run, not a wait
    with engine.connect() as conn:
        while True:
            assert time.monotonic() < deadline, f"contenders never queued: {errors!r}"
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting >= count:
                return
            assert all(t.is_alive() for t in threads), f"a contender ended early: {errors!r}"


def contenders(*targets) -> tuple[list[threading.Thread], list[BaseException]]:
    """Threads for the racing calls; exceptions they raise are collected, not lost."""
    errors: list[BaseException] = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        return run

    return [threading.Thread(target=guarded(t)) for t in targets], errors


def test_reschedules_and_a_booking_of_one_time_one_wins_the_others_are_told(pg):
    with Session(pg) as setup:
        practice = demo_practice(setup, NOW)
        first = book(setup, practice, NOW, start=TUESDAY_9, email="a@example.org")
        second = book(setup, practice, NOW, start=TUESDAY_9, email="b@example.org")
        book(setup, practice, NOW, start=WEDNESDAY_9, email="c@example.org")  # one cabin left
        ids, kind, branch = [first.id, second.id], first.type_id, first.branch_id
        practice_id = practice.id
        cabin = booking.bookable_resources(first.type, branch)[0].id

    outcomes: list[str] = []

    def reschedule(appointment_id: int) -> None:
        with Session(pg) as session:
            try:
                rescheduling.reschedule(session, appointment_id, WEDNESDAY_9, NOW)
                outcomes.append("moved")
            except booking.SlotTaken:
                outcomes.append("taken")

    def book_online() -> None:
        request = booking.OnlineRequest(
            practice_id=practice_id,
            type_id=kind,
            branch_id=branch,
            resource_id=None,
            start=WEDNESDAY_9,
            first_name="Lena",
            last_name="Neu",
            email="lena@example.org",
            phone="+4915112345679",
            booking_key="race-key",
        )
        with Session(pg) as session:
            try:
                booking.book_online(session, request, NOW)
                outcomes.append("booked")
            except booking.SlotTaken:
                outcomes.append("taken")

    with Session(pg) as blocker:  # holds the first cabin's lock until all three queue
        blocker.scalars(select(Resource).where(Resource.id <= cabin).with_for_update()).all()
        threads, errors = contenders(*(lambda i=i: reschedule(i) for i in ids), book_online)
        for thread in threads:
            thread.start()
        waiting_on_locks(pg, 3, threads, errors)
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(outcomes).count("taken") == 2 and len(outcomes) == 3
    with Session(pg) as check:
        at_nine = check.scalars(
            select(Appointment).where(Appointment.start == WEDNESDAY_9, Appointment.holds_slot)
        ).all()
        assert len(at_nine) == 2  # the earlier one and the single winner, on two cabins
        assert len({a.resource_id for a in at_nine}) == 2
        losers = [
            check.get(Appointment, i) for i in ids if check.get(Appointment, i).start != WEDNESDAY_9
        ]
        assert all(a.start == TUESDAY_9 and a.ics_sequence == 0 for a in losers)


def test_a_move_replans_the_reminder_and_the_old_one_is_skipped(s):
    practice = demo_practice(s, NOW)
    practice.reminders_enabled = True
    monday = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 14:00 tomorrow: reminder due today
    appointment = book(s, practice, NOW, start=monday)
    appointment.customer = Customer(
        practice=practice, last_name="Mustermann", email="erika@example.org", created_at=NOW
    )
    s.commit()
    reminders.scan(s, NOW)
    reminders_of = select(Notification).where(
        Notification.kind == outbox.Kind.REMINDER, Notification.appointment_id == appointment.id
    )
    [old] = s.scalars(reminders_of)

    later = NOW + timedelta(hours=1)
    rescheduling.reschedule(s, appointment.id, TUESDAY_9, later)

    s.expire_all()
    rows = s.scalars(reminders_of).all()
    assert [r.payload["start"] for r in rows] == [monday.isoformat()]  # Tuesday: not due yet
    assert outbox.skip_reason(s, old, later) == outbox.Skip.NO_LONGER_DUE
    rescheduling.reschedule(s, appointment.id, monday + timedelta(hours=1), later)
    s.expire_all()
    rows = s.scalars(reminders_of).all()
    assert [r.payload["start"] for r in rows][-1] == (monday + timedelta(hours=1)).isoformat()
    assert rows[-1].state is NotificationState.PENDING


def test_a_staff_move_onto_a_busy_time_changes_nothing_and_a_free_one_moves(s):
    practice = demo_practice(s, NOW)
    appointment = book(s, practice, NOW, start=TUESDAY_9)
    other = book(s, practice, NOW, start=WEDNESDAY_9, email="x@example.org")
    target = other.resource

    with pytest.raises(booking.SlotTaken):
        scheduling.move(s, appointment, target, WEDNESDAY_9, user_id=None, now=NOW)
    s.expire_all()
    assert appointment.start == TUESDAY_9 and appointment.ics_sequence == 0

    scheduling.move(s, appointment, target, WEDNESDAY_9 + timedelta(hours=1), user_id=None, now=NOW)
    s.expire_all()
    assert appointment.start == WEDNESDAY_9 + timedelta(hours=1)
    assert appointment.resource_id == target.id and appointment.history[0].note_kind == "moved"
    kinds = {
        n.kind
        for n in s.scalars(
            select(Notification).where(Notification.appointment_id == appointment.id)
        )
    }
    assert outbox.Kind.RESCHEDULED not in kinds  # staff moves are agreed with the customer
