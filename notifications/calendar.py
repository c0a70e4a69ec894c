"""The appointment's calendar file as the customer gets it: attached to an email or fetched
from the success page, it is the same file (same organizer, attendee and state)."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from flask import current_app

from core import ics
from core.models import Appointment
from core.outbox import customer_email


def calendar_file(appointment: Appointment, now: datetime, method: str | None = None) -> bytes:
    return ics.build(
        appointment,
        now=now,
        method=method,
        organizer_email=organizer(appointment),
        attendee_email=customer_email(appointment),
    )


def organizer(appointment: Appointment) -> str:
    """The branch's address, else the address the practice's emails come from."""
    return appointment.branch.email or parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
