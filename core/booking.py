"""The one rule against double booking, shared by the widget and the console.

A booking, a move or a confirmation first locks the resource's row (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite serialises writers on its own once the transaction writes), then re-reads
the resource's active appointments in the interval and checks them against capacity. The
lock is held until the caller commits, so two transactions for one resource run one after
the other and the second sees the first's appointment. The interval is the blocked one: the
appointment with its type's buffers, against the others' blocked times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import abuse, availability, closures, effects, events
from core.models import (
    Absence,
    Actor,
    Appointment,
    AppointmentType,
    Practice,
    Resource,
    Source,
    Status,
    StatusChange,
    StatusKind,
)

FREEING_KINDS = (StatusKind.CANCELLED, StatusKind.DECLINED)
EXCLUSION_VIOLATION = "23P01"


class SlotTaken(Exception):
    """The interval is no longer free for this resource."""


def lock_resource(session: Session, resource_id: int) -> Resource:
    """Take the per-resource booking lock for the rest of the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        # A no-op write makes SQLite take its database write lock now, before we read.
        session.execute(update(Resource).where(Resource.id == resource_id).values(id=resource_id))
        return session.get(Resource, resource_id)
    return session.scalars(
        select(Resource).where(Resource.id == resource_id).with_for_update()
    ).one()


def active_overlapping(
    session: Session,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
) -> list[Appointment]:
    """Appointments of the resource whose blocked time (buffers included) overlaps
    [start, end) and that still hold their slot."""
    query = (
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.resource_id == resource_id,
            Appointment.busy_start < end,
            Appointment.busy_end > start,
            Status.kind.not_in(FREEING_KINDS),
        )
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return list(session.scalars(query))


def ensure_free(
    session: Session,
    resource_id: int,
    kind: AppointmentType,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
    attendees: int = 1,
    lock: bool = False,
) -> None:
    """Raise SlotTaken unless the interval can take this booking. Call after lock_resource,
    or pass `lock=True` to take the resource's lock first (a move, a confirmation, an undo);
    a caller that tries several resources locks each itself.

    An individual type needs the interval and its buffers clear of the others' blocked times.
    A group type may share it only with the same type at the same start, up to its capacity.
    """
    if lock:
        lock_resource(session, resource_id)
    before, after = buffers(kind)
    others = active_overlapping(
        session, resource_id, start - before, end + after, exclude_id=exclude_id
    )
    if not others:
        return
    if kind.capacity > 1 and all(o.type_id == kind.id and o.start == start for o in others):
        booked = sum(o.attendees for o in others)
        if booked + attendees <= kind.capacity:
            return
    raise SlotTaken()


def buffers(kind: AppointmentType) -> tuple[timedelta, timedelta]:
    """The type's buffers before and after an appointment, as it is set now."""
    return (
        timedelta(minutes=kind.buffer_before_minutes or 0),
        timedelta(minutes=kind.buffer_after_minutes or 0),
    )


# --- Reading availability from the database -------------------------------------------------


def rules_for(practice: Practice, kind: AppointmentType, now: datetime) -> availability.Rules:
    before, after = buffers(kind)
    return availability.Rules(
        duration=timedelta(minutes=kind.duration_minutes),
        grid=timedelta(minutes=practice.slot_minutes),
        earliest=now + timedelta(minutes=practice.min_lead_minutes),
        latest=now + timedelta(days=practice.horizon_days),
        type_id=kind.id,
        capacity=kind.capacity,
        before=before,
        after=after,
    )


def bookable_resources(kind: AppointmentType, branch_id: int) -> list[Resource]:
    """The type's active resources at the branch, in a stable order (lock order too)."""
    return sorted(
        (r for r in kind.resources if r.active and r.branch_id == branch_id), key=lambda r: r.id
    )


def works_sundays(resources: list[Resource]) -> bool:
    """Does any of these resources work on Sundays (so the week shows seven days)?"""
    return any(wh.weekday == availability.SUNDAY for r in resources for wh in r.working_hours)


def calendars(
    session: Session,
    resources: list[Resource],
    start: datetime,
    end: datetime,
    language: str = "de",
    *,
    exclude_id: int | None = None,
) -> list[availability.ResourceCalendar]:
    """Each resource's hours, absences, active appointments (with their buffers) and its
    branch's closed days (named in `language`) in [start, end); with `exclude_id` an
    appointment being moved does not block its own new time."""
    ids = [r.id for r in resources]
    busy: dict[int, list[availability.Busy]] = {i: [] for i in ids}
    query = (
        select(
            Appointment.resource_id,
            Appointment.start,
            Appointment.end,
            Appointment.type_id,
            Appointment.attendees,
            Appointment.busy_start,
            Appointment.busy_end,
        )
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.resource_id.in_(ids),
            Appointment.busy_start < end,
            Appointment.busy_end > start,
            Status.kind.not_in(FREEING_KINDS),
        )
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    for resource_id, a_start, a_end, type_id, attendees, b_start, b_end in session.execute(query):
        busy[resource_id].append(
            availability.Busy(a_start, a_end, type_id, attendees, a_start - b_start, b_end - a_end)
        )
    closed = _closed_by_branch(session, resources, start, end, language)
    absences: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    for absence in session.scalars(select(Absence).where(Absence.resource_id.in_(ids))):
        absences[absence.resource_id].append((absence.starts, absence.ends))
    result = []
    for resource in resources:
        hours: dict[int, list] = {}
        for wh in resource.working_hours:
            hours.setdefault(wh.weekday, []).append((wh.start, wh.end))
        result.append(
            availability.ResourceCalendar(
                resource.id,
                hours,
                absences[resource.id],
                busy[resource.id],
                closed[resource.branch_id],
            )
        )
    return result


def _closed_by_branch(session, resources, start, end, language) -> dict[int, dict]:
    """Each branch's closed days between the local dates of `start` and `end`."""
    closed: dict[int, dict] = {}
    for resource in resources:
        if resource.branch_id not in closed:
            tz = ZoneInfo(resource.practice.timezone)
            first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
            closed[resource.branch_id] = closures.for_branch(
                session, resource.branch, first, last, language
            )
    return closed


def week(
    session: Session,
    practice: Practice,
    kind: AppointmentType,
    resources: list[Resource],
    monday: date,
    now: datetime,
    language: str = "de",
) -> availability.WeekGrid:
    tz = ZoneInfo(practice.timezone)
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=8)
    cals = calendars(session, resources, start, end, language)
    return availability.week_grid(monday, tz, cals, rules_for(practice, kind, now))


def first_free_week(
    session: Session,
    practice: Practice,
    kind: AppointmentType,
    resources: list[Resource],
    now: datetime,
    language: str = "de",
) -> availability.WeekGrid | None:
    """The first week, from the current one up to the horizon, that has a free slot."""
    tz = ZoneInfo(practice.timezone)
    monday = availability.first_week(now.astimezone(tz).date(), works_sundays(resources))
    last = (now + timedelta(days=practice.horizon_days)).astimezone(tz).date()
    while monday <= last:
        grid = week(session, practice, kind, resources, monday, now, language)
        if grid.has_free:
            return grid
        monday += timedelta(days=7)
    return None


def nearest_free(
    session: Session,
    practice: Practice,
    kind: AppointmentType,
    resources: list[Resource],
    around: datetime,
    now: datetime,
    limit: int = 6,
) -> list[datetime]:
    """Free starts closest to `around` (the customer's lost slot), within that and the next week."""
    tz = ZoneInfo(practice.timezone)
    monday = availability.week_start(around.astimezone(tz).date())
    starts: list[datetime] = []
    for offset in (0, 7):
        grid = week(session, practice, kind, resources, monday + timedelta(days=offset), now)
        starts += [datetime.combine(d, t, tzinfo=tz).astimezone(UTC) for d, t in grid.free]
    return sorted(starts, key=lambda s: abs(s - around))[:limit]


def slot_is_offered(
    session: Session,
    practice: Practice,
    kind: AppointmentType,
    resource: Resource,
    start: datetime,
    now: datetime,
    *,
    exclude_id: int | None = None,
) -> bool:
    """Whether `start` is a bookable slot of this resource (hours, absences, bookings, rules);
    `exclude_id` is an appointment being moved, which does not stand in its own way."""
    tz = ZoneInfo(practice.timezone)
    day = start.astimezone(tz).date()
    day_begin = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    day_end = day_begin + timedelta(days=1, hours=2)
    (cal,) = calendars(session, [resource], day_begin, day_end, exclude_id=exclude_id)
    slots = availability.day_slots(
        day,
        tz,
        cal.open_hours(day),
        cal.absences,
        cal.busy,
        rules_for(practice, kind, now),
    )
    return start in slots


# --- The online booking use case -----------------------------------------------------------


class NotBookable(Exception):
    """The type, branch or resource cannot be booked online (unknown, inactive, not offered)."""


@dataclass(frozen=True)
class OnlineRequest:
    """What the widget's booking form submitted, already validated and normalised."""

    practice_id: int
    type_id: int
    branch_id: int
    resource_id: int | None
    start: datetime
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    booking_key: str
    salutation: str = ""
    message: str = ""
    privacy_url: str | None = None
    language: str = "de"


def book_online(session: Session, req: OnlineRequest, now: datetime) -> Appointment | None:
    """Book the slot on the first free resource, or raise SlotTaken / NotBookable.

    A replayed form (same booking key) returns the appointment it made the first time. A
    blocked contact gets None: nothing is stored and nothing is sent.
    """
    replay = _by_key(session, req.booking_key)
    if replay is not None:
        return replay
    practice = session.get(Practice, req.practice_id)
    kind = session.get(AppointmentType, req.type_id)
    if practice is None or kind is None or kind.practice_id != practice.id:
        raise NotBookable()
    candidates = [
        r for r in bookable_resources(kind, req.branch_id) if req.resource_id in (None, r.id)
    ]
    if not kind.online_bookable or not candidates:
        raise NotBookable()
    if abuse.is_blocked(session, practice.id, req.email, req.phone):
        return None
    resource = _lock_first_free(session, practice, kind, candidates, req.start, now)
    replay = _by_key(session, req.booking_key)  # a double click waited for our lock
    if replay is not None:
        session.rollback()
        return replay
    if resource is None:
        session.rollback()
        raise SlotTaken()
    appointment = _new_online_appointment(session, practice, kind, resource, req, now)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        replay = _by_key(session, req.booking_key)
        if replay is not None:
            return replay
        if is_overlap(error):
            raise SlotTaken() from None
        raise
    return appointment


def commit(session: Session) -> None:
    """Commit a booking, move or confirmation; an overlap the database refused is SlotTaken."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if is_overlap(error):
            raise SlotTaken() from None
        raise


def is_overlap(error: IntegrityError) -> bool:
    """PostgreSQL's exclusion constraint refused the write: another transaction holds the time
    (the backstop beneath the lock, for a path that did not take it)."""
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


def _by_key(session: Session, key: str) -> Appointment | None:
    return session.scalar(select(Appointment).where(Appointment.booking_key == key))


def _lock_first_free(session, practice, kind, candidates, start, now) -> Resource | None:
    for resource in candidates:
        lock_resource(session, resource.id)
        if slot_is_offered(session, practice, kind, resource, start, now):
            return resource
    return None


def start_status(practice: Practice, kind: AppointmentType) -> Status:
    """The type's initial status, else the practice's default start status.

    A status that frees its slot is never a start: a booking made in it would leave its own
    time free for the next customer (the settings refuse it; this holds for older rows)."""
    if kind.initial_status is not None and not kind.initial_status.kind.frees_slot:
        return kind.initial_status
    starts = [s for s in practice.statuses if s.kind is StatusKind.START]
    return next((s for s in starts if s.is_default), starts[0])


def new_appointment(
    session: Session,
    practice: Practice,
    kind: AppointmentType,
    resource: Resource,
    start: datetime,
    status: Status,
    *,
    source: Source,
    by: Actor,
    now: datetime,
    user_id: int | None = None,
    **details: Any,
) -> Appointment:
    """An appointment with its first history row, the same for the widget and the console.

    The history must open with the status the appointment was created in and who put it
    there, whichever path booked it; `details` are the path's own columns (the request's
    fields and consent, or the linked customer). The branch is the resource's."""
    details.setdefault("language", practice.language)
    appointment = Appointment(
        practice=practice,
        branch_id=resource.branch_id,
        resource=resource,
        type=kind,
        status=status,
        source=source,
        start=start,
        end=start + timedelta(minutes=kind.duration_minutes),
        buffer_before_minutes=kind.buffer_before_minutes or 0,
        buffer_after_minutes=kind.buffer_after_minutes or 0,
        created_at=now,
        updated_at=now,
        **details,
    )
    appointment.history.append(StatusChange(to_status=status, at=now, by=by, user_id=user_id))
    session.add(appointment)
    return appointment


def _new_online_appointment(session, practice, kind, resource, req, now) -> Appointment:
    status = start_status(practice, kind)
    appointment = new_appointment(
        session,
        practice,
        kind,
        resource,
        req.start,
        status,
        source=Source.ONLINE,
        by=Actor.CUSTOMER,
        now=now,
        req_salutation=req.salutation,
        req_first_name=req.first_name,
        req_last_name=req.last_name,
        req_email=req.email,
        req_phone=req.phone,
        req_message=req.message,
        consent_at=now,
        consent_privacy_url=req.privacy_url,
        booking_key=req.booking_key,
        language=req.language,
    )
    session.flush()
    happened: list[events.Event] = [events.AppointmentRequested(appointment.id)]
    if status.kind is StatusKind.CONFIRMED:
        happened.append(events.AppointmentConfirmed(appointment.id, Actor.SYSTEM))
    effects.record(session, happened, now)
    return appointment
