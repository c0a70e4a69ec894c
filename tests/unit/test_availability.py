"""Free slots as a pure function: table-driven, including both DST weeks of Europe/Berlin."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.availability import Busy, ResourceCalendar, Rules, day_slots, week_grid

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)
HOURS = [(time(9), time(12, 30)), (time(13, 30), time(18))]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
FAR_AHEAD = datetime(2100, 1, 1, tzinfo=UTC)


def rules(minutes=30, grid=30, earliest=LONG_AGO, latest=FAR_AHEAD, capacity=1, type_id=1):
    return Rules(
        timedelta(minutes=minutes),
        timedelta(minutes=grid),
        earliest,
        latest,
        type_id=type_id,
        capacity=capacity,
    )


def berlin(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=BERLIN).astimezone(UTC)


def local_times(slots):
    return [s.astimezone(BERLIN).strftime("%H:%M") for s in slots]


CASES = {
    "a plain morning": dict(hours=[(time(9), time(11))], want=["09:00", "09:30", "10:00", "10:30"]),
    "the lunch break is not bookable": dict(
        hours=HOURS,
        grid=60,
        minutes=60,
        want=["09:00", "10:00", "11:00", "13:30", "14:30", "15:30", "16:30"],
    ),
    "a slot must end before closing": dict(
        hours=[(time(9), time(10, 15))], minutes=60, grid=15, want=["09:00", "09:15"]
    ),
    "an absence removes what it overlaps": dict(
        hours=[(time(9), time(12))],
        absences=[(datetime(2026, 11, 23, 9, 45), datetime(2026, 11, 23, 11, 0))],
        want=["09:00", "11:00", "11:30"],
    ),
    "an appointment blocks its interval": dict(
        hours=[(time(9), time(11))],
        busy=[Busy(berlin(MONDAY, 9, 30), berlin(MONDAY, 10))],
        want=["09:00", "10:00", "10:30"],
    ),
    "minimum lead time": dict(
        hours=[(time(9), time(11))], earliest=berlin(MONDAY, 10), want=["10:00", "10:30"]
    ),
    "horizon": dict(
        hours=[(time(9), time(11))], latest=berlin(MONDAY, 9, 30), want=["09:00", "09:30"]
    ),
    "a group session takes attendees up to its capacity": dict(
        hours=[(time(9), time(10))],
        minutes=60,
        capacity=3,
        busy=[Busy(berlin(MONDAY, 9), berlin(MONDAY, 10), 1, 2)],
        want=["09:00"],
    ),
    "a full group session is gone": dict(
        hours=[(time(9), time(10))],
        minutes=60,
        capacity=3,
        busy=[Busy(berlin(MONDAY, 9), berlin(MONDAY, 10), 1, 3)],
        want=[],
    ),
    "a group session does not share with another type": dict(
        hours=[(time(9), time(10))],
        minutes=60,
        capacity=3,
        busy=[Busy(berlin(MONDAY, 9), berlin(MONDAY, 10), 2, 1)],
        want=[],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_day_slots(case):
    slots = day_slots(
        MONDAY,
        BERLIN,
        case["hours"],
        case.get("absences", []),
        case.get("busy", []),
        rules(
            minutes=case.get("minutes", 30),
            grid=case.get("grid", 30),
            earliest=case.get("earliest", LONG_AGO),
            latest=case.get("latest", FAR_AHEAD),
            capacity=case.get("capacity", 1),
        ),
    )
    assert local_times(slots) == case["want"]


NIGHT = [(time(0), time(6))]


def test_spring_forward_day_has_23_hours_and_no_2_30():
    day = date(2026, 3, 29)
    slots = day_slots(day, BERLIN, NIGHT, [], [], rules(minutes=60, grid=60))
    assert local_times(slots) == ["00:00", "01:00", "03:00", "04:00", "05:00"]
    assert slots[1] - slots[0] == timedelta(hours=1)
    assert slots[2] - slots[1] == timedelta(hours=1)  # 01:00 CET → 03:00 CEST is one hour


def test_a_slot_across_the_skipped_hour_lasts_its_real_duration():
    day = date(2026, 3, 29)
    slots = day_slots(day, BERLIN, [(time(1), time(3))], [], [], rules(minutes=60, grid=60))
    # 01:00–02:00 CET wall-clock, and 02:00 does not exist; 01:00 + 60 min is 03:00 CEST.
    assert local_times(slots) == ["01:00"]


def test_fall_back_day_has_25_hours_and_2_30_once():
    day = date(2026, 10, 25)
    slots = day_slots(day, BERLIN, NIGHT, [], [], rules(minutes=30, grid=30))
    assert local_times(slots).count("02:30") == 1
    assert slots[-1] - slots[0] == timedelta(hours=6, minutes=30)  # one hour more than 6


def test_working_hours_are_local_across_a_dst_week():
    monday = date(2026, 3, 23)
    calendar = ResourceCalendar(1, {d: [(time(9), time(10))] for d in range(6)}, [], [])
    grid = week_grid(monday, BERLIN, [calendar], rules(minutes=60, grid=60))
    assert grid.times == [time(9)]
    assert len(grid.free) == 6
    before, after = berlin(date(2026, 3, 27), 9), berlin(date(2026, 3, 30), 9)
    assert before.hour == 8 and after.hour == 7  # 09:00 local is 08:00 UTC, then 07:00 UTC


def test_week_grid_picks_the_first_free_resource_and_marks_days_without_hours():
    busy_first = [Busy(berlin(MONDAY, 9), berlin(MONDAY, 10))]
    first = ResourceCalendar(1, {0: [(time(9), time(10))]}, [], busy_first)
    second = ResourceCalendar(2, {0: [(time(9), time(10))]}, [], [])
    grid = week_grid(MONDAY, BERLIN, [first, second], rules(minutes=60, grid=60))
    assert grid.cell(MONDAY, time(9)) == 2
    assert grid.cell(MONDAY + timedelta(days=5), time(9)) is None
    assert [d.weekday() for d in grid.days] == [0, 1, 2, 3, 4, 5]


# Buffers: a type's time before and after blocks the resource, never shown as the slot.


def buffered(minutes=30, before=0, after=0, **kw):
    base = rules(minutes=minutes, **kw)
    return Rules(
        base.duration,
        base.grid,
        base.earliest,
        base.latest,
        type_id=base.type_id,
        capacity=base.capacity,
        before=timedelta(minutes=before),
        after=timedelta(minutes=after),
    )


def an_appointment(hh, mm, minutes=30, before=0, after=0, type_id=2):
    start = berlin(MONDAY, hh, mm)
    return Busy(
        start,
        start + timedelta(minutes=minutes),
        type_id,
        1,
        timedelta(minutes=before),
        timedelta(minutes=after),
    )


BUFFER_CASES = {
    "another appointment's after-buffer blocks the next slot": dict(
        busy=[an_appointment(9, 0, after=15)], rules=buffered(), want=["10:00", "10:30"]
    ),
    "another appointment's before-buffer blocks the slot ending at its start": dict(
        busy=[an_appointment(10, 0, before=15)], rules=buffered(), want=["09:00", "10:30"]
    ),
    "the slot's own after-buffer must be clear of the next appointment": dict(
        busy=[an_appointment(10, 0)], rules=buffered(after=15), want=["09:00", "10:30"]
    ),
    "the slot's own before-buffer must be clear of the previous appointment": dict(
        busy=[an_appointment(9, 0)], rules=buffered(before=15), want=["10:00", "10:30"]
    ),
    "buffers may reach beyond the working hours": dict(
        busy=[], rules=buffered(before=30, after=30), want=["09:00", "09:30", "10:00", "10:30"]
    ),
    "two buffers may not overlap each other either": dict(
        busy=[an_appointment(9, 0, after=10)],
        rules=buffered(before=10),
        want=["10:00", "10:30"],
    ),
    "a group session shares its time with itself, buffers and all": dict(
        busy=[an_appointment(9, 0, minutes=60, before=15, after=15, type_id=1)],
        rules=buffered(minutes=60, before=15, after=15, capacity=3, grid=60),
        want=["09:00"],
    ),
}


@pytest.mark.parametrize("case", BUFFER_CASES.values(), ids=BUFFER_CASES.keys())
def test_buffers_block_the_resource(case):
    slots = day_slots(MONDAY, BERLIN, [(time(9), time(11))], [], case["busy"], case["rules"])
    assert local_times(slots) == case["want"]


# Closed days: a holiday or closing day of the branch has no slots and carries its name.


def test_a_closed_day_has_no_slots_and_the_week_names_it():
    tuesday = MONDAY + timedelta(days=1)
    hours = {d: [(time(9), time(10))] for d in range(5)}
    calendar = ResourceCalendar(1, hours, [], [], {tuesday: "Betriebsausflug"})
    grid = week_grid(MONDAY, BERLIN, [calendar], rules(minutes=60, grid=60))
    assert grid.closed == {tuesday: "Betriebsausflug"}
    assert grid.cell(tuesday, time(9)) is None and grid.cell(MONDAY, time(9)) == 1
    assert grid.times == [time(9)]  # the row stays: other days have it


def test_a_day_is_named_closed_only_when_every_resource_is_closed():
    hours = {0: [(time(9), time(10))]}
    closed = ResourceCalendar(1, hours, [], [], {MONDAY: "Heiligabend"})
    open_ = ResourceCalendar(2, hours, [], [])
    grid = week_grid(MONDAY, BERLIN, [closed, open_], rules(minutes=60, grid=60))
    assert grid.closed == {} and grid.cell(MONDAY, time(9)) == 2


def test_the_grid_lists_each_days_free_times_shows_a_weekend_day_only_with_one_and_the_first():
    hours = {0: [(time(9), time(11))], 2: [(time(14), time(15))], 5: [(time(10), time(11))]}
    taken = [Busy(berlin(MONDAY, 9), berlin(MONDAY, 10))]
    grid = week_grid(MONDAY, BERLIN, [ResourceCalendar(1, hours, [], taken)], rules())
    assert grid.free_times(MONDAY) == [time(10), time(10, 30)]
    assert grid.free_times(MONDAY + timedelta(days=1)) == []
    assert grid.first_free == (MONDAY, time(10))
    saturday = MONDAY + timedelta(days=5)
    assert grid.shown_days == [MONDAY + timedelta(days=i) for i in (0, 1, 2, 3, 4, 5)]
    closed_saturday = week_grid(
        MONDAY, BERLIN, [ResourceCalendar(1, {0: hours[0]}, [], [])], rules()
    )
    assert saturday not in closed_saturday.shown_days and len(closed_saturday.shown_days) == 5
    empty = week_grid(MONDAY, BERLIN, [ResourceCalendar(1, {}, [], [])], rules())
    assert empty.first_free is None
