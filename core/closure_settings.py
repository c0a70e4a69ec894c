"""The settings that close or open a branch's days: its country and state (statutory
holidays), openings on a holiday and the practice's own closing days.

None of them may strand an appointment: a change that would close a day on which active
appointments lie is refused with the days named, so staff move or cancel those first (and
the customers hear of it). Bad input raises SettingsError (core.settings) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import closures
from core.models import Appointment, Branch, BranchDay, Status, StatusKind
from core.numbers import is_id
from core.settings import SettingsError, use_case
from core.triage import NotFound

FREEING = (StatusKind.CANCELLED, StatusKind.DECLINED)
NAME_LIMIT = 100


def region_error(country: str, subdivision: str) -> SettingsError | None:
    """Why the pair is no region with statutory holidays we support, or None."""
    if country not in ("", *closures.COUNTRIES):
        return SettingsError(
            "Unknown country %(code)s: choose Germany, Austria or Switzerland, or none.",
            code=country,
        )
    if subdivision and not country:
        return SettingsError("Choose the country of the state %(code)s.", code=subdivision)
    try:
        closures.check_region(country, subdivision)
    except closures.UnknownRegion:
        codes = ", ".join(code for code, _name in closures.subdivisions(country))
        return SettingsError(
            "Unknown state code %(code)s for %(country)s; use one of: %(codes)s.",
            code=subdivision,
            country=country,
            codes=codes,
        )
    return None


@use_case
def save_region(session: Session, branch: Branch, values: Mapping[str, str], now: datetime) -> None:
    """Set the branch's country and state, unless that strands an appointment on a day that
    becomes a holiday."""
    country = (values.get("country") or "").strip().upper()
    subdivision = (values.get("subdivision") or "").strip()
    if error := region_error(country, subdivision):
        raise error

    def change() -> None:
        branch.country, branch.subdivision = country, subdivision

    _unless_stranding(session, branch, now, change)


@use_case
def add_day(
    session: Session, branch: Branch, raw_day: str, is_open: bool, name: str, now: datetime
) -> None:
    """An opening on a public holiday, or one of the practice's own closing days."""
    try:
        day = date.fromisoformat(raw_day.strip()[:10])
    except ValueError:
        raise SettingsError("Please give the day as a date.") from None
    if day < _today(branch, now):
        raise SettingsError("%(day)s has passed.", day=_shown(day))
    if any(d.day == day for d in branch.days):
        raise SettingsError("%(day)s has an entry already; remove it first.", day=_shown(day))
    holiday = closures.statutory(branch.country, branch.subdivision, day, day, "de").get(day)
    name = name.strip()
    if is_open and holiday is None:
        raise SettingsError("%(day)s is no public holiday at this branch.", day=_shown(day))
    if not is_open and holiday is not None:
        raise SettingsError(
            "%(day)s is a public holiday at this branch already (%(name)s).",
            day=_shown(day),
            name=holiday,
        )
    if not is_open and not 1 <= len(name) <= NAME_LIMIT:
        raise SettingsError(
            "Name the closing day (at most 100 characters): customers see the name."
        )
    row = BranchDay(branch_id=branch.id, day=day, is_open=is_open, name=name[:NAME_LIMIT])
    _unless_stranding(session, branch, now, lambda: session.add(row))


@use_case
def remove_day(session: Session, practice_id: int, day_id: int, now: datetime) -> Branch:
    """Remove an opening or a closing day of one of the practice's branches."""
    row = session.get(BranchDay, day_id) if is_id(day_id) else None
    if row is None or row.branch.practice_id != practice_id:
        raise NotFound()
    branch = row.branch
    _unless_stranding(session, branch, now, lambda: session.delete(row))
    return branch


def upcoming_holidays(branch: Branch, now: datetime, language: str) -> dict[date, str]:
    """The branch's statutory holidays of the next twelve months (for the settings page)."""
    today = _today(branch, now)
    return closures.statutory(
        branch.country, branch.subdivision, today, today + timedelta(days=365), language
    )


def _unless_stranding(
    session: Session, branch: Branch, now: datetime, change: Callable[[], None]
) -> None:
    """Apply `change`; refuse it when it closes a day on which active appointments lie."""
    days = _appointment_days(session, branch, now)
    before = _closed(session, branch, days)
    change()
    session.flush()
    stranded = [d for d in days if d in _closed(session, branch, days) and d not in before]
    if stranded:
        raise SettingsError(
            "Appointments lie on %(days)s, which would then be closed: move or cancel them first.",
            days=", ".join(_shown(d) for d in stranded),
        )


def _appointment_days(session: Session, branch: Branch, now: datetime) -> list[date]:
    """The local days of the branch's active appointments from now on."""
    starts = session.scalars(
        select(Appointment.start)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.branch_id == branch.id,
            Appointment.start > now,
            Appointment.blocked.is_(False),
            Status.kind.not_in(FREEING),
        )
    )
    tz = ZoneInfo(branch.practice.timezone)
    return sorted({start.astimezone(tz).date() for start in starts})


def _closed(session: Session, branch: Branch, days: list[date]) -> dict[date, str]:
    return closures.for_branch(session, branch, days[0], days[-1]) if days else {}


def _today(branch: Branch, now: datetime) -> date:
    return now.astimezone(ZoneInfo(branch.practice.timezone)).date()


def _shown(day: date) -> str:
    return day.strftime("%d.%m.%Y")
