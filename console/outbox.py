"""The outbox: every message of the practice with its state, and retry for failed ones."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import get, practice
from console.message_text import kind_label, reason
from console.render import render
from core import outbox
from core.models import (
    Notification,
    NotificationState,
)
from extensions import db


@bp.get("/outbox")
def outbox_view():
    state = request.args.get("state", "")
    rows = outbox.listing(db.session, current_user.practice_id, state=state)
    return render(
        "console/outbox.html",
        rows=rows,
        state=state,
        states=list(NotificationState),
        practice=practice(),
        kind_label=kind_label,
        reason=reason,
    )


@bp.post("/outbox/<int:notification_id>/retry")
def retry_notification(notification_id: int):
    n = get(Notification, notification_id)
    outbox.retry(db.session, n, utcnow())
    return redirect(url_for("console.outbox_view"), code=303)
