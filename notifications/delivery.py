"""Delivery attempts of outbox rows, with the app's clock, settings and transports: one row
(`deliver`), or a batch (`deliver_batch`): a job's own row plus the rows of the jobs waiting
next in the queue, all over one SMTP connection and one HTTP connection to the SMS gateway.

Each row of a batch is its own transaction (lock, re-check, send, commit), so a worker killed
in the middle leaves every row either sent and recorded, or pending and due again; only the
one message in flight at the kill can be unrecorded after the server took it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import current_app

from clock import utcnow
from core import outbox
from core.models import Channel, Notification
from extensions import db
from notifications import emails, queueing, sms, transport

log = logging.getLogger("termine.outbox")


class DeliveryFailed(Exception):
    """Raised by the job after a failed attempt so RQ retries it; names only the row id
    (the error itself, which may quote an address, stays on the row)."""


def deliver(notification_id: int, connections: transport.Connections | None = None):
    """One attempt at one row, on the batch's connections or on its own."""
    if connections is None:
        with transport.Connections() as own:
            return deliver(notification_id, own)
    now = utcnow()
    config = current_app.config
    outcome = outbox.deliver(
        db.session,
        notification_id,
        now=now,
        send=lambda row: send(row, now, connections),
        max_attempts=config["RQ_RETRIES"],
        retry_base=timedelta(seconds=config["RQ_RETRY_DELAY"]),
    )
    log.info("delivery", extra={"fields": {"notification": notification_id, "outcome": outcome}})
    return outcome


def deliver_batch(notification_id: int) -> outbox.Delivery:
    """The job's own row first, then up to OUTBOX_BATCH - 1 rows of the next queued jobs;
    the own row's outcome (a failed one makes the job raise, so RQ retries it). Rows of the
    batch that fail get a new job at their backoff (their own jobs were taken); rows it did
    not reach in half the job timeout go back to the queue."""
    config = current_app.config
    rest = queueing.take_queued(
        db.session, utcnow(), config["OUTBOX_BATCH"] - 1, besides=notification_id
    )
    deadline = time.monotonic() + config["RQ_JOB_TIMEOUT"] / 2
    retry: list[int] = []
    try:
        with transport.Connections() as connections:
            outcome = deliver(notification_id, connections)
            while rest and time.monotonic() < deadline:
                if deliver(rest[0], connections) is outbox.Delivery.RETRY:
                    retry.append(rest[0])
                rest.pop(0)
    finally:
        if rest:
            queueing.enqueue((i, utcnow()) for i in rest)
        if retry:  # their jobs were taken out of the queue: new ones, at their backoff
            queueing.enqueue(outbox.due_at(db.session, retry))
            db.session.rollback()
    return outcome


def send(row: Notification, now: datetime, connections: transport.Connections) -> None:
    name = f"outbox-{row.id}"
    if row.channel == Channel.SMS:
        connections.send_sms(row.recipient, _sms_text(row), name=name)
    else:
        connections.send_email(emails.compose(row, now=now), name=name)


def _sms_text(row: Notification) -> str:
    """A row's own text, else (scanned reminders) worded now, in the practice's language."""
    text = (row.payload or {}).get("text", "")
    if not text and row.kind == outbox.Kind.REMINDER:
        return sms.reminder_text(row.appointment)
    return text
