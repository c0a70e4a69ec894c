"""The persistent domain: SQLAlchemy 2.0 models shared by the web app, the workers and the tests.

One `Base` holds every table; Flask-SQLAlchemy adopts it through `SQLAlchemy(model_class=Base)`,
so nothing here imports Flask. All instants are stored as UTC through `UTCDateTime`; local
wall-clock values (working hours, absences) are stored naive and read in the practice's timezone.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend.

    SQLite has no time zones and hands back naive values; PostgreSQL hands back the session's
    zone. Both are normalised here so that a value read equals the value written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The exclusion constraint compares integers and text with `=`/`<>` in a GiST index.
event.listen(
    Base.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)


class StatusKind(enum.StrEnum):
    """What a practice's own status means to the system (messages, availability, inbox)."""

    START = "start"
    PROGRESS = "progress"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DECLINED = "declined"

    @property
    def frees_slot(self) -> bool:
        return self in (StatusKind.CANCELLED, StatusKind.DECLINED)


class Source(enum.StrEnum):
    ONLINE = "online"
    STAFF = "staff"


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"
    NONE = "none"


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"


class Actor(enum.StrEnum):
    """Who caused a status change."""

    USER = "user"
    CUSTOMER = "customer"
    SYSTEM = "system"


class NoteKind(enum.StrEnum):
    """What a history entry that is not a status move records.

    Core stores the kind and its parameters (ids, UTC ISO instants, names), never a sentence:
    the console says it in the staff member's language and time zone, the export hands it over.
    """

    MOVED = "moved"  # old, new: ISO instants
    RESCHEDULED = "rescheduled"  # old, new: ISO instants; the customer moved it themselves
    WAITLIST_CLAIMED = "waitlist_claimed"  # old, new: the customer took a waitlist offer
    CUSTOMER_LINKED = "customer_linked"  # customer_id, name
    CUSTOMER_CREATED = "customer_created"  # customer_id, name
    CUSTOMER_MERGED = "customer_merged"  # name, duplicate_id, keep_id
    ACCEPTED = "accepted"  # the customer accepted a please-confirm email
    UNDONE = "undone"  # staff took back their last change inside the undo window
    DECLINED = "declined"  # the customer declined one
    MESSAGE = "message"  # purpose, channel: staff wrote the customer a message (core.manual)
    LEGACY = "legacy"  # text: a note from before notes were data, shown as written


class NotificationState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


def _new_uid() -> str:
    return f"{uuid.uuid4()}@termine"


def _str_enum(enum_cls: type[enum.StrEnum], length: int = 20) -> Any:
    """Store a StrEnum as a plain VARCHAR of its value (portable, readable, migration-friendly)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Practice(Base):
    """A tenant. Every other row belongs to exactly one practice."""

    __tablename__ = "practice"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    language: Mapped[str] = mapped_column(String(2), default="de")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    # Origins allowed to frame the widget, one per line ("https://praxis-example.de").
    embed_origins: Mapped[str] = mapped_column(Text, default="")
    staff_alert_email: Mapped[str | None] = mapped_column(String(254))
    privacy_policy_url: Mapped[str | None] = mapped_column(String(500))
    # Booking rules.
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    min_lead_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    # Minutes before the start after which the customer can no longer cancel online.
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # The customer may move their appointment through the link in its emails (until the
    # cancellation deadline), where the type allows it too.
    reschedule_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Customers may ask to be offered an earlier time of their type and branch; an offer
    # stays open this many hours (never past the lead time before the offered start).
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    waitlist_offer_hours: Mapped[int] = mapped_column(Integer, default=12)
    inbox_poll_seconds: Mapped[int] = mapped_column(Integer, default=120)
    coordination_grace_minutes: Mapped[int] = mapped_column(Integer, default=10)
    # Seconds a staff change that mails the customer can be undone before its mail leaves.
    undo_seconds: Mapped[int] = mapped_column(Integer, default=60)
    # Reminders.
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_lead_days: Mapped[int] = mapped_column(Integer, default=1)
    reminder_any_active_status: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_branch_codes: Mapped[str] = mapped_column(String(200), default="")
    quiet_hours_start: Mapped[time] = mapped_column(Time, default=time(20, 0))
    quiet_hours_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    sms_template: Mapped[str | None] = mapped_column(Text)
    # Staff calendar feeds show the customer's contact details and message (else name only).
    feed_shows_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # GDPR.
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    branches: Mapped[list[Branch]] = relationship(
        back_populates="practice", order_by="Branch.id", cascade="all, delete-orphan"
    )
    statuses: Mapped[list[Status]] = relationship(
        back_populates="practice", order_by="Status.position", cascade="all, delete-orphan"
    )
    appointment_types: Mapped[list[AppointmentType]] = relationship(
        back_populates="practice", order_by="AppointmentType.position", cascade="all, delete-orphan"
    )

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.embed_origins.splitlines() if o.strip()]


class Branch(Base):
    """A location (Filiale) of a practice."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Whose statutory holidays close the branch: a country (DE, AT, CH; "" for none) and,
    # optionally, its state or canton as the `holidays` package codes it ("BY", "9", "ZH").
    country: Mapped[str] = mapped_column(String(2), default="")
    subdivision: Mapped[str] = mapped_column(String(20), default="")

    practice: Mapped[Practice] = relationship(back_populates="branches")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="branch", order_by="Resource.id", cascade="all, delete-orphan"
    )
    days: Mapped[list[BranchDay]] = relationship(
        back_populates="branch", order_by="BranchDay.day", cascade="all, delete-orphan"
    )

    @property
    def address(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postcode} {self.city}".strip()) if p)


class BranchDay(Base):
    """A day the practice sets against the branch's statutory calendar: its own closing day
    (closed, with a name the widget shows) or an opening on a public holiday (open)."""

    __tablename__ = "branch_day"
    __table_args__ = (UniqueConstraint("branch_id", "day", name="uq_branch_day_branch_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    day: Mapped[date] = mapped_column(Date)  # the branch's local date
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(100), default="")

    branch: Mapped[Branch] = relationship(back_populates="days")


type_resource = Table(
    "appointment_type_resource",
    Base.metadata,
    Column("type_id", ForeignKey("appointment_type.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
)


class Resource(Base):
    """What is booked: a cabin, a room or a person. Bookings of one resource are serialised."""

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    notification_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    practice: Mapped[Practice] = relationship()
    branch: Mapped[Branch] = relationship(back_populates="resources")
    working_hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="resource",
        order_by="(WorkingHours.weekday, WorkingHours.start)",
        cascade="all, delete-orphan",
    )
    absences: Mapped[list[Absence]] = relationship(
        back_populates="resource", order_by="Absence.starts", cascade="all, delete-orphan"
    )


class WorkingHours(Base):
    """One bookable interval of a weekday, in local time; several per day make breaks."""

    __tablename__ = "working_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday … 6 = Sunday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)

    resource: Mapped[Resource] = relationship(back_populates="working_hours")


class Absence(Base):
    """A local date-time range in which a resource cannot be booked (leave, holiday, training)."""

    __tablename__ = "absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    starts: Mapped[datetime] = mapped_column(DateTime)  # naive, resource's local time
    ends: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")

    resource: Mapped[Resource] = relationship(back_populates="absences")


class Status(Base):
    """A step of the practice's own workflow; its kind tells the system what it means."""

    __tablename__ = "status"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[StatusKind] = mapped_column(_str_enum(StatusKind))
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    # The start status new online requests get when their type names none.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # The cancelled-kind status set when the customer cancels through the email link.
    is_customer_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)
    # No longer offered: off the choices, kept on the appointments and history that have it.
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    practice: Mapped[Practice] = relationship(back_populates="statuses")


class AppointmentType(Base):
    """What a customer books (Terminvorlage)."""

    __tablename__ = "appointment_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    online_bookable: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    reschedulable: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # Time the resource is blocked before and after (cleaning a cabin, preparing a fitting);
    # the customer sees only the appointment itself.
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    initial_status_id: Mapped[int | None] = mapped_column(ForeignKey("status.id"))

    practice: Mapped[Practice] = relationship(back_populates="appointment_types")
    initial_status: Mapped[Status | None] = relationship()
    resources: Mapped[list[Resource]] = relationship(
        secondary=type_resource, order_by="Resource.id"
    )

    @property
    def is_group(self) -> bool:
        return self.capacity > 1


class Customer(Base):
    """A person the practice knows. Created by staff only, never by the widget (spam)."""

    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_practice_email", "practice_id", "email"),
        Index("ix_customer_practice_phone", "practice_id", "phone"),
        Index("ix_customer_practice_last_name", "practice_id", "last_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    salutation: Mapped[str] = mapped_column(String(20), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    preferred_channel: Mapped[Channel] = mapped_column(_str_enum(Channel), default=Channel.EMAIL)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    practice: Mapped[Practice] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Appointment(Base):
    """A booked time of one resource. Online requests keep what the customer submitted."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_resource_time", "resource_id", "start", "end"),
        Index("ix_appointment_practice_status", "practice_id", "status_id", "start"),
        Index("ix_appointment_start", "start"),  # the reminder scan's window of start times
        # No double booking, whatever the settings and beneath the booking lock: two
        # slot-holding appointments of one resource never overlap, buffers included, unless
        # both belong to the same group session (same slot key). PostgreSQL only (btree_gist).
        ExcludeConstraint(
            (Column("resource_id"), "="),
            (func.tstzrange(Column("busy_start"), Column("busy_end")), "&&"),
            (Column("slot_key"), "<>"),
            name="ex_appointment_no_overlap",
            using="gist",
            where=text("holds_slot"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"), index=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[Source] = mapped_column(_str_enum(Source))
    attendees: Mapped[int] = mapped_column(Integer, default=1)
    # The request record: what the customer typed into the widget.
    req_salutation: Mapped[str] = mapped_column(String(20), default="")
    req_first_name: Mapped[str] = mapped_column(String(100), default="")
    req_last_name: Mapped[str] = mapped_column(String(100), default="")
    req_email: Mapped[str] = mapped_column(String(254), default="")
    req_phone: Mapped[str] = mapped_column(String(20), default="")
    req_message: Mapped[str] = mapped_column(Text, default="")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_privacy_url: Mapped[str | None] = mapped_column(String(500))
    # Replaying a signed booking form (double click, reload) finds this key and books nothing new.
    booking_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    ics_uid: Mapped[str] = mapped_column(String(80), default=_new_uid, unique=True)
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the customer booked in: their emails, SMS and calendar file use it.
    language: Mapped[str] = mapped_column(String(2))  # unset: the practice's (before_flush)
    # Kept by `_keep_slot_columns` from the status and type, for the PostgreSQL exclusion
    # constraint that makes an overlap of two slot-holding appointments impossible.
    holds_slot: Mapped[bool] = mapped_column(Boolean, default=True)
    slot_key: Mapped[str] = mapped_column(String(120), default="")
    # The type's buffers when it was booked or last moved (a later change of the type applies
    # to new bookings only, so it never makes two kept appointments overlap), and the time
    # they block: [start - before, end + after), kept by `_keep_slot_columns`.
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    busy_start: Mapped[datetime] = mapped_column(UTCDateTime)
    busy_end: Mapped[datetime] = mapped_column(UTCDateTime)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    practice: Mapped[Practice] = relationship()
    branch: Mapped[Branch] = relationship()
    resource: Mapped[Resource] = relationship()
    type: Mapped[AppointmentType] = relationship()
    status: Mapped[Status] = relationship()
    customer: Mapped[Customer | None] = relationship()
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="appointment",
        order_by="(StatusChange.at.desc(), StatusChange.id.desc())",
        cascade="all, delete-orphan",
    )

    @property
    def requester_name(self) -> str:
        return f"{self.req_first_name} {self.req_last_name}".strip()


def slot_key(appointment: Appointment) -> str:
    """Appointments with the same key may share a resource's time: the attendees of one group
    session (same type, same start). Every individual appointment has a key of its own."""
    if appointment.type.capacity > 1:
        return f"group:{appointment.type.id}@{appointment.start.isoformat()}"
    return f"one:{appointment.ics_uid}"


@event.listens_for(Session, "before_flush")
def _keep_slot_columns(session: Session, _context, _instances) -> None:
    """Every appointment written carries its slot columns in step with its status and type,
    and its blocked time in step with its start, end and buffers, whichever code path
    changed it (and a language: the practice's unless the customer's was recorded)."""
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Appointment):
            continue
        if obj.start is not None and obj.end is not None:  # also when only ids were set
            obj.busy_start = obj.start - timedelta(minutes=obj.buffer_before_minutes or 0)
            obj.busy_end = obj.end + timedelta(minutes=obj.buffer_after_minutes or 0)
        if obj.status is not None and obj.type is not None:
            if obj.ics_uid is None:
                obj.ics_uid = _new_uid()
            if obj.language is None:
                obj.language = obj.practice.language
            obj.holds_slot = not obj.status.kind.frees_slot
            obj.slot_key = slot_key(obj)


class StatusChange(Base):
    """One step of an appointment's history."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    from_status_id: Mapped[int | None] = mapped_column(ForeignKey("status.id"))
    to_status_id: Mapped[int | None] = mapped_column(ForeignKey("status.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[Actor] = mapped_column(_str_enum(Actor))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # What a change that is not (only) a status move records; the console renders it.
    note_kind: Mapped[NoteKind | None] = mapped_column(_str_enum(NoteKind, length=30))
    note_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    appointment: Mapped[Appointment] = relationship(back_populates="history")
    from_status: Mapped[Status | None] = relationship(foreign_keys=[from_status_id])
    to_status: Mapped[Status | None] = relationship(foreign_keys=[to_status_id])
    user: Mapped[User | None] = relationship()


coordination_appointment = Table(
    "coordination_request_appointment",
    Base.metadata,
    Column(
        "request_id", ForeignKey("coordination_request.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("appointment_id", ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True),
)


class CoordinationRequest(Base):
    """A "please confirm" email covering one or more appointments of one customer."""

    __tablename__ = "coordination_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    allow_decline: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str] = mapped_column(Text, default="")
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # accepted / declined
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    appointments: Mapped[list[Appointment]] = relationship(
        secondary=coordination_appointment, order_by="Appointment.start"
    )

    @property
    def addresses(self) -> list[str]:
        """The recipients as stored (validated when the request was made)."""
        return [a.strip() for a in self.recipients.split(",") if a.strip()]

    def scheduled(self, now: datetime) -> bool:
        """Still waiting out its grace: nothing has left, staff may take it back."""
        return (
            self.withdrawn_at is None
            and self.outcome is None
            and self.sent_at is None
            and now < self.send_after
        )


class Notification(Base):
    """The outbox: one message to deliver, written in the transaction that caused it."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    coordination_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordination_request.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(_str_enum(Channel))
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[NotificationState] = mapped_column(
        _str_enum(NotificationState), default=NotificationState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment | None] = relationship()


class WaitlistEntry(Base):
    """A customer with a booking who wants an earlier time of its type and branch, on or
    before `until` (a local date). Ended when they took an offer or left the list."""

    __tablename__ = "waitlist_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship()
    offers: Mapped[list[WaitlistOffer]] = relationship(
        back_populates="entry", order_by="WaitlistOffer.id", cascade="all, delete-orphan"
    )


class OfferState(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"  # this customer took it
    GONE = "gone"  # someone else took the time first


class WaitlistOffer(Base):
    """A freed time offered to one waiting customer; the first claim under the booking lock
    wins, the others' offers are gone."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (Index("ix_waitlist_offer_slot", "resource_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[OfferState] = mapped_column(_str_enum(OfferState), default=OfferState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entry: Mapped[WaitlistEntry] = relationship(back_populates="offers")
    resource: Mapped[Resource] = relationship()


class User(Base):
    """A staff login of one practice."""

    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("practice_id", "email", name="uq_user_practice_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_str_enum(Role), default=Role.STAFF)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    practice: Mapped[Practice] = relationship()


class UndoableChange(Base):
    """A staff change to an appointment that can be taken back until `until`: the state
    before it, and the outbox rows it wrote (they wait until `until`, see core.undo)."""

    __tablename__ = "undoable_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "before" and "after": status_id, resource_id, start, end (ISO instants) around the change.
    states: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notification_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    appointment: Mapped[Appointment] = relationship()

    def open(self, now: datetime) -> bool:
        return self.undone_at is None and now < self.until


class AuditEntry(Base):
    """Who of the staff did what to which appointment, customer or setting, and when.

    Written by core.audit from the rows a staff request changed; it holds ids, field names
    and status names, never a customer's personal data (names and addresses stay in their
    rows, so erasing a customer leaves nothing here that names them)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_practice_at", "practice_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(20))  # created / changed / deleted
    target: Mapped[str] = mapped_column(String(40))  # the table: appointment, customer, …
    target_id: Mapped[int | None] = mapped_column(Integer)
    # The customer the entry concerns (for their export); no foreign key: erasure keeps it.
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class CalendarFeed(Base):
    """A staff member's secret calendar subscription: the practice's appointments (or one
    resource's) at a URL holding a token. Only the token's SHA-256 is stored; deleting the
    row revokes the URL."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    practice: Mapped[Practice] = relationship()
    user: Mapped[User] = relationship()
    resource: Mapped[Resource | None] = relationship()


class BlockedContact(Base):
    """An email address or phone number whose online bookings never reach the calendar."""

    __tablename__ = "blocked_contact"
    __table_args__ = (UniqueConstraint("practice_id", "value", name="uq_blocked_contact_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    value: Mapped[str] = mapped_column(String(254))  # lower-cased email or E.164 phone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "Absence",
    "Actor",
    "Appointment",
    "AppointmentType",
    "AuditEntry",
    "Base",
    "BlockedContact",
    "Branch",
    "BranchDay",
    "CalendarFeed",
    "Channel",
    "CoordinationRequest",
    "Customer",
    "Notification",
    "NotificationState",
    "Practice",
    "Resource",
    "Role",
    "Source",
    "Status",
    "StatusChange",
    "StatusKind",
    "OfferState",
    "UndoableChange",
    "User",
    "UTCDateTime",
    "WaitlistEntry",
    "WaitlistOffer",
    "WorkingHours",
]
