"""The customer's links in pages and emails: the cancel page, the `.ics` download and the
answer links of a please-confirm email.

Both the widget (which serves these pages) and notifications (whose emails carry them) build
them here, so neither imports the other. Only endpoint names tie this module to the widget.

One signed token per appointment serves the cancel and `.ics` links: it names the appointment
and its practice, and it is checked against the appointment's practice on use. It expires
after the horizon plus a margin; the cancel page itself refuses after the practice's cutoff.

External links (for emails) are built against BASE_URL, so a worker with no request builds
the same address a browser would see.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy.orm import object_session

from core import coordination, tokens
from core.models import Appointment, CoordinationRequest, Practice

MAX_AGE = 400 * 24 * 3600  # longer than any booking horizon


def customer_token(appointment: Appointment) -> str:
    return tokens.sign(
        current_app.config["SECRET_KEY"],
        tokens.Purpose.CANCEL,
        {"a": appointment.id, "p": appointment.practice_id},
    )


def read_customer_token(token: str) -> tuple[int, int]:
    """(appointment id, practice id), or raise tokens.BadToken / tokens.ExpiredToken."""
    data = tokens.read(
        current_app.config["SECRET_KEY"], tokens.Purpose.CANCEL, token, max_age=MAX_AGE
    )
    if not isinstance(data, dict) or not {"a", "p"} <= data.keys():
        raise tokens.BadToken()
    return int(data["a"]), int(data["p"])


def cancel_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    return _appointment_url("widget.cancel", appointment, external, lang)


def ics_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    return _appointment_url("widget.ics", appointment, external, lang)


def confirm_url(request_: CoordinationRequest, action: coordination.Action) -> str:
    """The external answer link of a please-confirm email (workers have no request)."""
    token = coordination.link_token(current_app.config["SECRET_KEY"], request_, action)
    practice = object_session(request_).get(Practice, request_.practice_id)
    return external_url("widget.confirm", {"slug": practice.slug, "token": token})


def _appointment_url(endpoint: str, appointment: Appointment, external: bool, lang) -> str:
    values = {"slug": appointment.practice.slug, "token": customer_token(appointment), "lang": lang}
    return external_url(endpoint, values) if external else url_for(endpoint, **values)


def external_url(endpoint: str, values: dict) -> str:
    """`endpoint`'s absolute address under BASE_URL, with or without a request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
