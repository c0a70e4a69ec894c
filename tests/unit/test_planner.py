"""The day planner's grid: rows from opening to close, one cell per appointment cluster."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.planner import day_rows

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 23)
HOURS = {1: [(time(9), time(12, 30)), (time(13, 30), time(18))], 2: [(time(10), time(14))]}
STEP = timedelta(minutes=30)


@dataclass
class Appt:
    resource_id: int
    start: datetime
    end: datetime


def local(hour, minute=0):
    return datetime.combine(DAY, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def test_rows_run_from_the_earliest_opening_to_the_latest_close_with_open_slots():
    rows = day_rows(DAY, BERLIN, HOURS, [], STEP)
    assert [r.start.strftime("%H:%M") for r in rows][:2] == ["09:00", "09:30"]
    assert rows[-1].start.strftime("%H:%M") == "17:30" and len(rows) == 18
    at_noon_thirty = rows[7]  # 12:30: the break of resource 1, resource 2 still works
    assert [c.open for c in at_noon_thirty.cells] == [False, True]


def test_an_appointment_spans_its_rows_and_covers_the_cells_beneath():
    rows = day_rows(DAY, BERLIN, HOURS, [Appt(1, local(9, 30), local(10, 30))], STEP)
    block = rows[1].cells[0]
    assert block.span == 2 and len(block.appointments) == 1
    assert [c.resource_id for c in rows[2].cells] == [2]  # 10:00 of resource 1 is covered


def test_overlapping_appointments_share_one_cell_and_late_ones_extend_the_grid():
    cancelled = Appt(2, local(10), local(10, 30))
    successor = Appt(2, local(10, 15), local(11))
    evening = Appt(1, local(18, 30), local(19))
    rows = day_rows(DAY, BERLIN, HOURS, [cancelled, successor, evening], STEP)
    (shared,) = [c for r in rows for c in r.cells if len(c.appointments) == 2]
    assert shared.span == 2 and shared.start.strftime("%H:%M") == "10:00"
    assert rows[-1].start.strftime("%H:%M") == "18:30"


def test_every_row_has_one_cell_per_resource_that_no_block_covers():
    appts = [Appt(1, local(9), local(9, 45)), Appt(1, local(9, 45), local(10, 15))]
    rows = day_rows(DAY, BERLIN, HOURS, appts, STEP)
    seen = {}
    for index, row in enumerate(rows):
        for cell in row.cells:
            for k in range(cell.span):
                assert (index + k, cell.resource_id) not in seen
                seen[(index + k, cell.resource_id)] = cell
    assert len(seen) == len(rows) * 2
