"""The one place that bounds the dates a URL or form can carry.

`date` reaches from year 1 to 9999, but adding a week to 9999-12-31 or converting
0001-01-01 00:00 to UTC overflows. No page needs more than a few years either way, so every
date read from a request passes through here and stays within YEARS of today.
"""

from __future__ import annotations

from datetime import date, datetime

YEARS = 5


class DateOutOfRange(ValueError):
    """A readable date beyond the range; `nearest` is the closest date within it."""

    def __init__(self, nearest: date):
        super().__init__(f"date outside ±{YEARS} years")
        self.nearest = nearest


def bounds(today: date) -> tuple[date, date]:
    return _shift(today, -YEARS), _shift(today, YEARS)


def checked(day: date, today: date) -> date:
    """`day` itself, or DateOutOfRange when it lies beyond the range around `today`."""
    first, last = bounds(today)
    if not first <= day <= last:
        raise DateOutOfRange(min(max(day, first), last))
    return day


def parse_day(raw: str, today: date) -> date:
    """An ISO date ("2026-11-23") within the range; ValueError when unreadable or beyond."""
    return checked(date.fromisoformat(raw[:10]), today)


def parse_wall_time(raw: str, today: date) -> datetime:
    """A naive local date and time ("2026-11-23T09:00") within the range, else ValueError."""
    wall = datetime.fromisoformat(raw[:16])
    checked(wall.date(), today)
    return wall


def _shift(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
