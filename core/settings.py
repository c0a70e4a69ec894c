"""Practice settings that staff edit: statuses, appointment types, working hours, absences.

Parsing and validation live here so the console stays thin; every function raises
SettingsError with a message for the form and changes nothing when input is bad.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from sqlalchemy.orm import Session

from core.models import (
    Absence,
    AppointmentType,
    Branch,
    Practice,
    Resource,
    Status,
    StatusKind,
    WorkingHours,
)

WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SettingsError(Exception):
    """Bad settings input; the message says what to fix."""


def check_statuses(statuses: list[Status]) -> None:
    """Exactly one default start status, at least one confirmed and one cancelled kind."""
    defaults = [s for s in statuses if s.is_default]
    if len(defaults) != 1 or defaults[0].kind is not StatusKind.START:
        raise SettingsError("exactly one status must be the default, and of kind start")
    kinds = {s.kind for s in statuses}
    if StatusKind.CONFIRMED not in kinds or StatusKind.CANCELLED not in kinds:
        raise SettingsError("at least one confirmed and one cancelled status are needed")


def save_status(
    session: Session,
    practice: Practice,
    status: Status | None,
    *,
    name: str,
    description: str,
    position: int,
    kind: str,
    colour: str,
    is_default: bool,
) -> Status:
    name = name.strip()
    if not name or len(name) > 100:
        raise SettingsError("the name is required (at most 100 characters)")
    if kind not in {k.value for k in StatusKind}:
        raise SettingsError("unknown kind")
    if not COLOUR.fullmatch(colour):
        raise SettingsError("the colour must look like #1d4ed8")
    if status is None:
        status = Status(practice=practice, name=name, kind=StatusKind(kind))
        session.add(status)
    status.name, status.description = name, description.strip()[:500]
    status.position, status.kind, status.color = position, StatusKind(kind), colour
    if is_default:
        for other in practice.statuses:
            other.is_default = False
    status.is_default = is_default
    check_statuses(
        practice.statuses if status in practice.statuses else [*practice.statuses, status]
    )
    return status


def save_type(
    session: Session,
    practice: Practice,
    kind: AppointmentType | None,
    *,
    name: str,
    duration: int,
    capacity: int,
    online_bookable: bool,
    requires_approval: bool,
    reminders_allowed: bool,
    resource_ids: list[int],
    initial_status_id: int | None,
) -> AppointmentType:
    name = name.strip()
    if not name or len(name) > 200:
        raise SettingsError("the name is required (at most 200 characters)")
    if not 5 <= duration <= 600:
        raise SettingsError("the duration must be between 5 and 600 minutes")
    if not 1 <= capacity <= 100:
        raise SettingsError("the capacity must be between 1 and 100")
    resources = [r for b in practice.branches for r in b.resources if r.id in set(resource_ids)]
    if len(resources) != len(set(resource_ids)):
        raise SettingsError("unknown resource")
    initial = next((s for s in practice.statuses if s.id == initial_status_id), None)
    if initial_status_id and initial is None:
        raise SettingsError("unknown status")
    if kind is None:
        kind = AppointmentType(
            practice=practice,
            name=name,
            duration_minutes=duration,
            position=len(practice.appointment_types),
        )
        session.add(kind)
    kind.name, kind.duration_minutes, kind.capacity = name, duration, capacity
    kind.online_bookable, kind.requires_approval = online_bookable, requires_approval
    kind.reminders_allowed, kind.resources, kind.initial_status = (
        reminders_allowed,
        resources,
        initial,
    )
    return kind


def parse_hours(text: str) -> list[tuple[int, time, time]]:
    """ "Mo 09:00-12:30, 13:30-18:00" per line -> (weekday, start, end) intervals."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        day, _, rest = line.strip().partition(" ")
        if day not in WEEKDAYS:
            raise SettingsError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        for part in rest.split(","):
            match = INTERVAL.match(part)
            if not match:
                raise SettingsError(f"cannot read {part.strip()!r}; write e.g. 09:00-12:30")
            h1, m1, h2, m2 = map(int, match.groups())
            if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
                raise SettingsError(f"{part.strip()!r} is not a time range")
            out.append((WEEKDAYS.index(day), time(h1, m1), time(h2, m2)))
    return out


def format_hours(resource: Resource) -> str:
    lines: dict[int, list[str]] = {}
    for wh in resource.working_hours:
        lines.setdefault(wh.weekday, []).append(f"{wh.start:%H:%M}-{wh.end:%H:%M}")
    return "\n".join(f"{WEEKDAYS[d]} {', '.join(v)}" for d, v in sorted(lines.items()))


def save_hours(resource: Resource, text: str) -> None:
    intervals = parse_hours(text)
    resource.working_hours = [WorkingHours(weekday=d, start=s, end=e) for d, s, e in intervals]


def add_absence(session: Session, resource: Resource, starts: str, ends: str, reason: str) -> None:
    try:
        start, end = datetime.fromisoformat(starts[:16]), datetime.fromisoformat(ends[:16])
    except ValueError:
        raise SettingsError("please give start and end as date and time") from None
    if end <= start:
        raise SettingsError("the end must be after the start")
    session.add(Absence(resource=resource, starts=start, ends=end, reason=reason.strip()[:200]))


BRANCH_FIELDS = {
    "name": 200,
    "code": 20,
    "street": 200,
    "postcode": 20,
    "city": 100,
    "phone": 40,
    "email": 254,
}


def save_branch(session: Session, practice: Practice, branch, values: dict) -> None:
    """Create or edit a branch (Filiale): name required, every field length-limited."""
    cleaned = {name: (values.get(name) or "").strip() for name in BRANCH_FIELDS}
    if not cleaned["name"]:
        raise SettingsError("the branch needs a name")
    for name, limit in BRANCH_FIELDS.items():
        if len(cleaned[name]) > limit:
            raise SettingsError(f"{name}: at most {limit} characters")
    if branch is None:
        branch = Branch(practice=practice, name=cleaned["name"])
        session.add(branch)
    for name, value in cleaned.items():
        setattr(branch, name, value)


def save_resource(
    session: Session,
    practice: Practice,
    resource,
    *,
    name: str,
    branch_id: int,
    notification_email: str,
    active: bool,
) -> None:
    """Create or edit a resource (cabin, room, person) of one of the practice's branches."""
    name = name.strip()
    if not name or len(name) > 200:
        raise SettingsError("the resource needs a name (at most 200 characters)")
    branch = next((b for b in practice.branches if b.id == branch_id), None)
    if branch is None:
        raise SettingsError("unknown branch")
    if resource is None:
        resource = Resource(practice=practice, branch=branch, name=name)
        session.add(resource)
    resource.name, resource.branch, resource.active = name, branch, active
    resource.notification_email = notification_email.strip()[:254] or None
