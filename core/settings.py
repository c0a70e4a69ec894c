"""Practice settings that staff edit: the practice itself, statuses, appointment types,
branches, resources, working hours, absences.

Parsing and validation live here so the console stays thin. Each use case loads, acts and
commits once (`use_case`); bad input raises SettingsError with an English message (a msgid
the console translates) and rolls back, so it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, time
from functools import wraps

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import closures, undo
from core.models import (
    Absence,
    Appointment,
    AppointmentType,
    Branch,
    Practice,
    Resource,
    Status,
    StatusKind,
    WorkingHours,
)
from core.numbers import is_id, parse_count
from core.triage import NotFound

WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SettingsError(Exception):
    """Bad settings input; `message` (with `params` for its placeholders) says what to fix."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class Invalid(SettingsError):
    """Bad fields of the practice form: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


def use_case(change: Callable) -> Callable:
    """Load-act-commit for one settings change (its first argument is the session): commit
    once when it succeeds; roll back on a SettingsError, some of which arise only after
    the change is applied (`check_statuses`), so bad input never leaves a trace."""

    @wraps(change)
    def run(session: Session, *args, **kwargs):
        try:
            result = change(session, *args, **kwargs)
        except SettingsError:
            session.rollback()
            raise
        session.commit()
        return result

    return run


@use_case
def save_practice(session: Session, practice: Practice, form: Mapping[str, str]) -> None:
    """The general settings: embed origins, inbox poll, grace period, undo window, privacy
    URL, alerts, what customers may do through their links (move the appointment, wait for
    an earlier time, and how long a waitlist offer holds), what staff calendar feeds show."""
    errors = {}
    origins = [
        o.strip().rstrip("/") for o in form.get("embed_origins", "").splitlines() if o.strip()
    ]
    if any(not o.startswith(("https://", "http://")) or " " in o or len(o) > 200 for o in origins):
        errors["embed_origins"] = "Each line must be an origin like https://www.example.de"
    poll = parse_count(form.get("inbox_poll_seconds"), -1)
    if not 10 <= poll <= 3600:
        errors["inbox_poll_seconds"] = "Between 10 and 3600 seconds."
    grace = practice.coordination_grace_minutes
    if "coordination_grace_minutes" in form:
        grace = parse_count(form.get("coordination_grace_minutes"), -1)
    if not 0 <= grace <= 120:
        errors["coordination_grace_minutes"] = "Between 0 and 120 minutes."
    offer_hours = practice.waitlist_offer_hours
    if "waitlist_offer_hours" in form:
        offer_hours = parse_count(form.get("waitlist_offer_hours"), -1)
    if not 1 <= offer_hours <= 168:
        errors["waitlist_offer_hours"] = "Between 1 and 168 hours."
    undo_seconds = practice.undo_seconds
    if "undo_seconds" in form:
        undo_seconds = undo.parse_window(form.get("undo_seconds"))
    if undo_seconds is None:
        errors["undo_seconds"] = "Between 0 and 600 seconds (ten minutes)."
    if errors:
        raise Invalid(errors)
    practice.undo_seconds = undo_seconds
    practice.embed_origins = "\n".join(origins)
    practice.inbox_poll_seconds = poll
    practice.coordination_grace_minutes = grace
    practice.privacy_policy_url = form.get("privacy_policy_url", "").strip()[:500] or None
    practice.staff_alert_email = form.get("staff_alert_email", "").strip()[:254] or None
    practice.waitlist_offer_hours = offer_hours
    if "customer_options" in form:  # the form's checkboxes (an unchecked one is not sent)
        practice.reschedule_enabled = form.get("reschedule_enabled") == "yes"
        practice.waitlist_enabled = form.get("waitlist_enabled") == "yes"
    # Staff calendar feeds: contact details and the customer's message only when allowed.
    practice.feed_shows_contact = form.get("feed_shows_contact") == "yes"


def check_statuses(statuses: list[Status]) -> None:
    """Exactly one default start status, at least one confirmed and one cancelled kind
    among the statuses still offered."""
    statuses = [s for s in statuses if not s.archived]
    defaults = [s for s in statuses if s.is_default]
    if len(defaults) != 1 or defaults[0].kind is not StatusKind.START:
        raise SettingsError("exactly one status must be the default, and of kind start")
    kinds = {s.kind for s in statuses}
    if StatusKind.CONFIRMED not in kinds or StatusKind.CANCELLED not in kinds:
        raise SettingsError("at least one confirmed and one cancelled status are needed")


@use_case
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
    elif status.kind.frees_slot != StatusKind(kind).frees_slot and _in_use(session, status):
        raise SettingsError(
            "A status in use cannot change between holding and freeing the slot: its "
            "appointments would double-book or vanish. Create a new status instead."
        )
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


@use_case
def archive_status(
    session: Session, practice: Practice, status: Status, *, archived: bool, now: datetime
) -> None:
    """Take a status the practice no longer uses off the choices (or offer it again). Past
    appointments and the history keep it; one that upcoming appointments are in, that a
    type starts bookings in, or that customer cancellations use stays until it is unused."""
    if archived and status.is_default:
        raise SettingsError("Make another status the default before archiving this one.")
    if archived and status.is_customer_cancellation:
        raise SettingsError("Customer cancellations through the email link use this status.")
    if archived and _starts_bookings(session, status):
        raise SettingsError("An appointment type starts its bookings in this status.")
    if archived and _upcoming_in(session, status, now):
        raise SettingsError(
            "Upcoming appointments are in this status; move them to another one first."
        )
    status.archived = archived
    check_statuses(practice.statuses)


def _starts_bookings(session: Session, status: Status) -> bool:
    query = select(AppointmentType.id).where(AppointmentType.initial_status_id == status.id)
    return session.scalar(query.limit(1)) is not None


def _upcoming_in(session: Session, status: Status, now: datetime) -> bool:
    query = select(Appointment.id).where(Appointment.status_id == status.id, Appointment.end > now)
    return session.scalar(query.limit(1)) is not None


def _in_use(session: Session, status: Status) -> bool:
    """Appointments have it, or a type starts bookings in it."""
    used = select(Appointment.id).where(Appointment.status_id == status.id).limit(1)
    return session.scalar(used) is not None or _starts_bookings(session, status)


@use_case
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
    buffer_before: int = 0,
    buffer_after: int = 0,
    reschedulable: bool = True,
) -> AppointmentType:
    """Create or edit a type. Its buffers apply to bookings and moves from now on; booked
    appointments keep the buffers they were booked with, so no change makes them overlap."""
    name = name.strip()
    if not name or len(name) > 200:
        raise SettingsError("the name is required (at most 200 characters)")
    if not 5 <= duration <= 600:
        raise SettingsError("the duration must be between 5 and 600 minutes")
    if not 1 <= capacity <= 100:
        raise SettingsError("the capacity must be between 1 and 100")
    if not (0 <= buffer_before <= 240 and 0 <= buffer_after <= 240):
        raise SettingsError("buffers must be between 0 and 240 minutes")
    resources = [r for b in practice.branches for r in b.resources if r.id in set(resource_ids)]
    if len(resources) != len(set(resource_ids)):
        raise SettingsError("unknown resource")
    initial = next((s for s in practice.statuses if s.id == initial_status_id), None)
    if initial_status_id and initial is None:
        raise SettingsError("unknown status")
    if (
        initial is not None
        and initial.archived
        and (kind is None or kind.initial_status != initial)
    ):
        raise SettingsError("This status is archived.")
    if initial is not None and initial.kind.frees_slot:
        raise SettingsError(
            "The initial status must not be a cancelled or declined one: "
            "a new booking would free its slot at once."
        )
    if kind is None:
        kind = AppointmentType(
            practice=practice,
            name=name,
            duration_minutes=duration,
            position=len(practice.appointment_types),
        )
        session.add(kind)
    kind.name, kind.duration_minutes, kind.capacity = name, duration, capacity
    kind.buffer_before_minutes, kind.buffer_after_minutes = buffer_before, buffer_after
    kind.online_bookable, kind.requires_approval = online_bookable, requires_approval
    kind.reschedulable = reschedulable
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


@use_case
def save_hours(session: Session, resource: Resource, text: str) -> None:
    intervals = parse_hours(text)
    resource.working_hours = [WorkingHours(weekday=d, start=s, end=e) for d, s, e in intervals]


@use_case
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


@use_case
def save_branch(session: Session, practice: Practice, branch, values: dict) -> None:
    """Create or edit a branch (Filiale): name required, every field length-limited."""
    cleaned = {name: (values.get(name) or "").strip() for name in BRANCH_FIELDS}
    if not cleaned["name"]:
        raise SettingsError("the branch needs a name")
    for name, limit in BRANCH_FIELDS.items():
        if len(cleaned[name]) > limit:
            raise SettingsError(f"{name}: at most {limit} characters")
    if branch is None:
        country = practice.country if practice.country in closures.COUNTRIES else ""
        branch = Branch(practice=practice, name=cleaned["name"], country=country)
        session.add(branch)
    for name, value in cleaned.items():
        setattr(branch, name, value)


@use_case
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


@use_case
def delete_absence(session: Session, practice_id: int, absence_id: int) -> None:
    """Delete one of the practice's absences; NotFound for any other id."""
    absence = session.get(Absence, absence_id) if is_id(absence_id) else None
    if absence is None or absence.resource.practice_id != practice_id:
        raise NotFound()
    session.delete(absence)
