"""Past-tense domain events. Use cases collect them and turn them into outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.models import Actor, Channel


@dataclass(frozen=True)
class AppointmentRequested:
    """An online booking arrived (whatever status it got: core.effects reads it)."""

    appointment_id: int


@dataclass(frozen=True)
class AppointmentConfirmed:
    appointment_id: int
    by: Actor


@dataclass(frozen=True)
class AppointmentCancelled:
    appointment_id: int
    by: Actor
    reason: str = ""


@dataclass(frozen=True)
class AppointmentDeclined:
    appointment_id: int
    by: Actor


@dataclass(frozen=True)
class AppointmentMoved:
    """The appointment took a new time; `old_start` on `old_resource_id` is free now."""

    appointment_id: int
    by: Actor = Actor.USER
    old_start: datetime | None = None
    old_resource_id: int | None = None


@dataclass(frozen=True)
class MessageRequested:
    """Staff wrote the customer a message about the appointment (core.manual): `purpose` is
    a core.purposes.Purpose, `text` the SMS as worded in the customer's language, `key` the
    form's one-time key (a double click writes one message)."""

    appointment_id: int
    channel: Channel
    purpose: str
    note: str = ""
    text: str = ""
    key: str = ""


Event = (
    AppointmentRequested
    | AppointmentConfirmed
    | AppointmentCancelled
    | AppointmentDeclined
    | AppointmentMoved
    | MessageRequested
)
