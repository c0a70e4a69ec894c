"""One delivery attempt of one outbox row, with the app's clock, settings and transports."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from clock import utcnow
from core import outbox
from core.models import Channel, Notification
from extensions import db
from notifications import emails, sms, transport

log = logging.getLogger("termine.outbox")


class DeliveryFailed(Exception):
    """Raised by the job after a failed attempt so RQ retries it; names only the row id
    (the error itself, which may quote an address, stays on the row)."""


def deliver(notification_id: int) -> outbox.Delivery:
    now = utcnow()
    config = current_app.config
    outcome = outbox.deliver(
        db.session,
        notification_id,
        now=now,
        send=lambda row: send(row, now),
        max_attempts=config["RQ_RETRIES"],
        retry_base=timedelta(seconds=config["RQ_RETRY_DELAY"]),
    )
    log.info("delivery", extra={"fields": {"notification": notification_id, "outcome": outcome}})
    return outcome


def send(row: Notification, now: datetime) -> None:
    name = f"outbox-{row.id}"
    if row.channel == Channel.SMS:
        transport.send_sms(row.recipient, _sms_text(row), name=name)
    else:
        transport.send_email(emails.compose(row, now=now), name=name)


def _sms_text(row: Notification) -> str:
    """A row's own text, else (scanned reminders) worded now, in the practice's language."""
    text = (row.payload or {}).get("text", "")
    if not text and row.kind == outbox.Kind.REMINDER:
        return sms.reminder_text(row.appointment)
    return text
