"""Free times: working hours minus closed days minus absences minus active appointments
(with their buffers), on a slot grid.

Pure functions of their inputs (no session, no clock). Times of day are wall-clock times in
the practice's zone; instants are UTC. Slots are generated in wall-clock time and converted
afterwards, so a day with a DST switch has exactly the hours it really has: on 2026-03-29
Berlin skips 02:00–03:00, on 2026-10-25 it repeats that hour once (the first one is used).

Buffers (cleaning a cabin, preparing a fitting) block the resource before and after an
appointment: a slot's blocked time must not overlap another appointment's blocked time. The
appointment itself must lie in the working hours; its buffers may reach beyond them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Busy:
    """An active appointment of the resource (UTC)."""

    start: datetime
    end: datetime
    type_id: int = 0
    attendees: int = 1
    before: timedelta = timedelta(0)
    after: timedelta = timedelta(0)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Does its blocked time (buffers included) overlap [start, end)?"""
        return self.start - self.before < end and start < self.end + self.after


@dataclass(frozen=True)
class Rules:
    """What every slot must satisfy besides the resource's own calendar."""

    duration: timedelta
    grid: timedelta
    earliest: datetime  # now + minimum lead time (UTC)
    latest: datetime  # now + horizon (UTC)
    type_id: int = 0
    capacity: int = 1
    before: timedelta = timedelta(0)  # the type's buffers
    after: timedelta = timedelta(0)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or None if the clock skips it that day."""
    wall = datetime.combine(day, at, tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return instant


def day_slots(
    day: date,
    tz: ZoneInfo,
    hours: Iterable[tuple[time, time]],
    absences: Iterable[tuple[datetime, datetime]],
    busy: Sequence[Busy],
    rules: Rules,
) -> list[datetime]:
    """Bookable start instants (UTC) of one resource on one local day, ascending."""
    blocked = [_absence_utc(a, tz) for a in absences]
    day_start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    day_end = day_start + timedelta(hours=26)
    busy = [b for b in busy if b.overlaps(day_start - rules.before, day_end + rules.after)]
    slots = []
    for opens, closes in hours:
        for start in _grid(day, opens, closes, tz, rules):
            end = start + rules.duration
            if start < rules.earliest or start > rules.latest:
                continue
            if any(a_start < end and start < a_end for a_start, a_end in blocked):
                continue
            if _fits(start, end, busy, rules):
                slots.append(start)
    return sorted(slots)


def _grid(day: date, opens: time, closes: time, tz: ZoneInfo, rules: Rules) -> Iterable[datetime]:
    """Wall-clock grid points in [opens, closes - duration], as UTC instants."""
    wall = datetime.combine(day, opens)
    last = datetime.combine(day, closes)
    closing = local_instant(day, closes, tz)
    while wall + rules.duration <= last:
        instant = local_instant(day, wall.time(), tz)
        # On a DST day wall-clock room and real duration differ: the real end must fit too.
        if instant is not None and (closing is None or instant + rules.duration <= closing):
            yield instant
        wall += rules.grid


def _absence_utc(absence: tuple[datetime, datetime], tz: ZoneInfo) -> tuple[datetime, datetime]:
    start, end = absence
    return start.replace(tzinfo=tz).astimezone(UTC), end.replace(tzinfo=tz).astimezone(UTC)


def _fits(start: datetime, end: datetime, busy: Sequence[Busy], rules: Rules) -> bool:
    """Individual types need the interval and its buffers clear of other appointments and
    their buffers; a group session shares its time with itself only."""
    overlapping = [b for b in busy if b.overlaps(start - rules.before, end + rules.after)]
    if not overlapping:
        return True
    if rules.capacity <= 1:
        return False
    same_session = all(b.type_id == rules.type_id and b.start == start for b in overlapping)
    return same_session and sum(b.attendees for b in overlapping) < rules.capacity


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


SUNDAY = 6


def first_week(today: date, sundays: bool = False) -> date:
    """The first week a customer can book in: on a Sunday that is not shown (no resource
    works on Sundays) that is the next one."""
    if today.weekday() == SUNDAY and not sundays:
        return week_start(today + timedelta(days=1))
    return week_start(today)


def works_sundays(resources: Sequence[ResourceCalendar]) -> bool:
    return any(resource.hours.get(SUNDAY) for resource in resources)


@dataclass(frozen=True)
class WeekGrid:
    """A week as the widget shows it: one column per day, one row per time of day."""

    monday: date
    days: list[date]
    times: list[time]
    free: dict[tuple[date, time], int]  # (day, wall time) -> resource id to book
    closed: dict[date, str] = field(default_factory=dict)  # day -> holiday or closing name

    def cell(self, day: date, at: time) -> int | None:
        return self.free.get((day, at))

    @property
    def has_free(self) -> bool:
        return bool(self.free)

    @property
    def first_free(self) -> tuple[date, time] | None:
        """The earliest free (day, wall time) of the week."""
        return min(self.free, default=None)

    @property
    def shown_days(self) -> list[date]:
        """Monday to Friday always, a weekend day when it holds a free time or is closed (a
        Saturday holiday says so): a column that can only ever say "none" is left out."""
        return [d for d in self.days if d.weekday() < 5 or d in self.closed or self.free_times(d)]

    def free_times(self, day: date) -> list[time]:
        """The day's free wall times, earliest first: its list in the grid."""
        return sorted(t for d, t in self.free if d == day)


def week_grid(
    monday: date,
    tz: ZoneInfo,
    resources: Sequence[ResourceCalendar],
    rules: Rules,
) -> WeekGrid:
    """Merge the resources' free slots of a week (Monday to Saturday, and Sunday where any
    resource works on Sundays); the first free resource wins. A day closed for every
    resource (a holiday of their branch) carries its name."""
    days = 7 if works_sundays(resources) else 6
    dates = [monday + timedelta(days=i) for i in range(days)]
    free: dict[tuple[date, time], int] = {}
    times: set[time] = set()
    closed: dict[date, str] = {}
    for day in dates:
        for resource in resources:
            for opens, closes in resource.hours.get(day.weekday(), []):
                times.update(_wall_times(opens, closes, rules))
            hours = resource.open_hours(day)
            for start in day_slots(day, tz, hours, resource.absences, resource.busy, rules):
                free.setdefault((day, start.astimezone(tz).time()), resource.id)
        names = {resource.closed.get(day) for resource in resources}
        if resources and None not in names:
            closed[day] = min(names)
    return WeekGrid(monday, dates, sorted(times), free, closed)


def _wall_times(opens: time, closes: time, rules: Rules) -> Iterable[time]:
    wall = datetime.combine(date(2000, 1, 3), opens)
    last = datetime.combine(date(2000, 1, 3), closes)
    while wall + rules.duration <= last:
        yield wall.time()
        wall += rules.grid


@dataclass(frozen=True)
class ResourceCalendar:
    """One resource's calendar as the pure functions need it."""

    id: int
    hours: dict[int, list[tuple[time, time]]]  # weekday -> intervals
    absences: list[tuple[datetime, datetime]]  # naive local
    busy: list[Busy]
    closed: Mapping[date, str] = field(default_factory=dict)  # its branch's closed days

    def open_hours(self, day: date) -> list[tuple[time, time]]:
        """The day's working hours; none on a day its branch is closed."""
        return [] if day in self.closed else self.hours.get(day.weekday(), [])
