"""The day planner's grid: one column per resource, one row per slot of the day.

Pure: it takes the day, the resources' working hours that day and the appointments, and
returns rows of cells a template renders as a table. Appointments of one resource that
overlap (a group session, a cancelled one shown beside its successor) share one cell
spanning all their rows, so the table never has two cells in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_HOURS = (time(8, 0), time(18, 0))


@dataclass
class Cell:
    """`appointments` and a `span` of rows, or an empty slot that is `open` (working hours)
    or not."""

    resource_id: int
    start: datetime  # local
    span: int = 1
    appointments: list[Any] = field(default_factory=list)
    open: bool = False


@dataclass
class Row:
    start: datetime  # local
    cells: list[Cell]  # cells covered by a block above are left out


def day_rows(
    day: date,
    zone: ZoneInfo,
    hours: dict[int, list[tuple[time, time]]],
    appointments: list[Any],
    step: timedelta,
) -> list[Row]:
    """Rows of `step` from the earliest opening (or appointment) to the latest close.

    `hours` maps each resource id (in column order) to its working intervals that day;
    `appointments` have `resource_id`, `start` and `end` (UTC)."""
    first, last = _bounds(day, zone, hours, appointments)
    starts = []
    at = first
    while at < last:
        starts.append(at)
        at = _add(at, step, zone)
    blocks = {rid: _blocks(appointments, rid, starts, step, zone) for rid in hours}
    covered: set[tuple[int, int]] = set()
    rows = []
    for index, start in enumerate(starts):
        cells = []
        for rid, intervals in hours.items():
            if (index, rid) in covered:
                continue
            block = blocks[rid].get(index)
            if block is not None:
                cells.append(block)
                covered |= {(index + k, rid) for k in range(1, block.span)}
            else:
                is_open = any(a <= start.time() and start.time() < b for a, b in intervals)
                cells.append(Cell(rid, start, open=is_open))
        rows.append(Row(start, cells))
    return rows


def _add(at: datetime, step: timedelta, zone: ZoneInfo) -> datetime:
    """Wall-clock steps: a DST day has one row fewer or more, never a shifted grid."""
    return (at.astimezone(ZoneInfo("UTC")) + step).astimezone(zone)


def _bounds(day, zone, hours, appointments) -> tuple[datetime, datetime]:
    opening = [a for intervals in hours.values() for a, _ in intervals]
    closing = [b for intervals in hours.values() for _, b in intervals]
    begin = min(opening, default=DEFAULT_HOURS[0])
    end = max(closing, default=DEFAULT_HOURS[1])
    first = datetime.combine(day, time(begin.hour), tzinfo=zone)
    last = datetime.combine(day, end, tzinfo=zone)
    if end.minute:
        last = datetime.combine(day, time(end.hour), tzinfo=zone) + timedelta(hours=1)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    for a in appointments:
        first = min(first, max(a.start.astimezone(zone), midnight).replace(minute=0))
        last = max(last, min(a.end.astimezone(zone), midnight + timedelta(days=1)))
    return first, last


def _blocks(appointments, resource_id, starts, step, zone) -> dict[int, Cell]:
    """The resource's appointments merged into clusters of overlapping rows, keyed by
    their first row (two appointments sharing a row share a cell)."""
    spans = sorted(
        (
            (_row_of(a.start, starts, step), _row_of(a.end - _TICK, starts, step), a)
            for a in appointments
            if a.resource_id == resource_id
        ),
        key=lambda span: span[:2],
    )
    out: dict[int, Cell] = {}
    first_row = last_row = -1
    for first, last, a in spans:
        if first > last_row:
            first_row, last_row = first, last
            out[first] = Cell(resource_id, starts[first], 1, [])
        last_row = max(last_row, last)
        out[first_row].appointments.append(a)
        out[first_row].span = last_row - first_row + 1
    return out


_TICK = timedelta(microseconds=1)


def _row_of(instant: datetime, starts: list[datetime], step: timedelta) -> int:
    """The row holding `instant` (clamped to the grid)."""
    for index, start in enumerate(starts):
        if instant < start + step:
            return index
    return len(starts) - 1
