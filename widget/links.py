"""The customer's links to one appointment (cancel page, .ics download).

One signed token per appointment serves both: it names the appointment and its practice, and
it is checked against the appointment's practice on use. It expires after the horizon plus a
margin; the cancel page itself refuses after the practice's cutoff.

External links (for emails) are built against BASE_URL, so a worker with no request builds
the same address a browser would see.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for

from core import tokens
from core.models import Appointment

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
    return _url("widget.cancel", appointment, external, lang)


def ics_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    return _url("widget.ics", appointment, external, lang)


def _url(endpoint: str, appointment: Appointment, external: bool, lang: str | None) -> str:
    values = {"slug": appointment.practice.slug, "token": customer_token(appointment), "lang": lang}
    if not external:
        return url_for(endpoint, **values)
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
