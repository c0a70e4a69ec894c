"""Days a branch is closed: the statutory holidays of its country and state (from the
maintained `holidays` package), minus the days the practice opens anyway, plus the practice's
own closing days.

The widget, the staff bookings, the reminder scan and the console calendar all ask here, so
they agree on which day is closed and what it is called. Holiday names come in the reader's
language: the customer's in the widget, the staff member's in the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Branch, BranchDay

COUNTRIES = ("DE", "AT", "CH")
# Our UI languages -> the `holidays` package's names for them.
HOLIDAY_LANGUAGES = {"de": "de", "en": "en_US"}


class UnknownRegion(ValueError):
    """A country or state code the `holidays` package does not know for DE, AT or CH."""


def subdivisions(country: str) -> list[tuple[str, str]]:
    """The states (cantons) of a country as (code, name), in the package's order, with the
    cities that have holidays of their own (Augsburg, Stadt Zürich)."""
    cls = holidays.country_holidays(country).__class__
    names: dict[str, str] = {}
    for name, code in getattr(cls, "subdivisions_aliases", {}).items():
        names.setdefault(code, name)
    return [(code, names.get(code, code)) for code in cls.subdivisions]


def check_region(country: str, subdivision: str) -> None:
    """Raise UnknownRegion unless the pair names a supported country and one of its states."""
    if country == "" and subdivision == "":
        return
    if country not in COUNTRIES:
        raise UnknownRegion(country)
    if subdivision and subdivision not in dict(subdivisions(country)):
        raise UnknownRegion(subdivision)


@lru_cache(maxsize=256)
def _year(country: str, subdivision: str, year: int, language: str) -> tuple[tuple[date, str], ...]:
    calendar = holidays.country_holidays(
        country,
        subdiv=subdivision or None,
        years=year,
        language=HOLIDAY_LANGUAGES.get(language, "de"),
    )
    return tuple(sorted(calendar.items()))


def statutory(
    country: str, subdivision: str, first: date, last: date, language: str
) -> dict[date, str]:
    """Public holidays in [first, last] by date, named in `language` ("de" or "en")."""
    if not country:
        return {}
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in _year(country, subdivision, year, language):
            if first <= day <= last:
                found[day] = name
    return found


def closed_days(
    holidays_by_day: Mapping[date, str], overrides: Iterable[tuple[date, bool, str]]
) -> dict[date, str]:
    """The closed days with their names: the holidays, without those the practice opens on
    anyway (`is_open`), and with its own closing days."""
    closed = dict(holidays_by_day)
    for day, is_open, name in overrides:
        if is_open:
            closed.pop(day, None)
        else:
            closed[day] = name
    return closed


def for_branch(
    session: Session,
    branch: Branch,
    first: date,
    last: date,
    language: str = "de",
) -> dict[date, str]:
    """The branch's closed days in [first, last] (local dates) with their names."""
    rows = session.execute(
        select(BranchDay.day, BranchDay.is_open, BranchDay.name).where(
            BranchDay.branch_id == branch.id, BranchDay.day >= first, BranchDay.day <= last
        )
    ).all()
    found = statutory(branch.country, branch.subdivision, first, last, language)
    return closed_days(found, [tuple(row) for row in rows])


def closed_on(session: Session, branch: Branch, instant: datetime, language: str = "de"):
    """The name of the closure on the branch's local day of `instant`, or None when open."""
    day = instant.astimezone(ZoneInfo(branch.practice.timezone)).date()
    return for_branch(session, branch, day, day, language).get(day)
