"""The customer's links in pages and emails: the cancel and reschedule pages, the `.ics`
download and the answer links of a please-confirm email.

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
from core.models import Appointment, CoordinationRequest, Practice, WaitlistOffer

MAX_AGE = 400 * 24 * 3600  # longer than any booking horizon


def customer_token(appointment: Appointment, purpose: str = tokens.Purpose.CANCEL) -> str:
    return tokens.sign(
        current_app.config["SECRET_KEY"],
        purpose,
        {"a": appointment.id, "p": appointment.practice_id},
    )


def read_customer_token(token: str, purpose: str = tokens.Purpose.CANCEL) -> tuple[int, int]:
    """(appointment id, practice id), or raise tokens.BadToken / tokens.ExpiredToken."""
    data = tokens.read(current_app.config["SECRET_KEY"], purpose, token, max_age=MAX_AGE)
    if not isinstance(data, dict) or not {"a", "p"} <= data.keys():
        raise tokens.BadToken()
    return int(data["a"]), int(data["p"])


def cancel_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    return _appointment_url("widget.cancel", appointment, external, lang)


def reschedule_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    """The "Termin verschieben" link: a token of its own purpose (a cancel token does not
    open it, nor it the cancel page); the page refuses after the cancellation deadline."""
    return _appointment_url(
        "widget.reschedule", appointment, external, lang, tokens.Purpose.RESCHEDULE
    )


def waitlist_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    """The "tell me of an earlier time" page of an appointment (join, change the day, leave)."""
    return _appointment_url("widget.waitlist", appointment, external, lang, tokens.Purpose.WAITLIST)


def offer_url(offer: WaitlistOffer) -> str:
    """The external link of a waitlist offer email: it names the offer, which expires."""
    token = tokens.sign(
        current_app.config["SECRET_KEY"],
        tokens.Purpose.WAITLIST_OFFER,
        {"o": offer.id, "p": offer.practice_id},
    )
    practice = object_session(offer).get(Practice, offer.practice_id)
    return external_url("widget.offer", {"slug": practice.slug, "token": token})


def read_offer_token(token: str) -> tuple[int, int]:
    """(offer id, practice id), or raise tokens.BadToken / tokens.ExpiredToken."""
    secret = current_app.config["SECRET_KEY"]
    data = tokens.read(secret, tokens.Purpose.WAITLIST_OFFER, token, max_age=MAX_AGE)
    if not isinstance(data, dict) or not {"o", "p"} <= data.keys():
        raise tokens.BadToken()
    return int(data["o"]), int(data["p"])


def ics_url(appointment: Appointment, *, external: bool = False, lang: str | None = None):
    return _appointment_url("widget.ics", appointment, external, lang)


def confirm_url(request_: CoordinationRequest, action: coordination.Action) -> str:
    """The external answer link of a please-confirm email (workers have no request)."""
    token = coordination.link_token(current_app.config["SECRET_KEY"], request_, action)
    practice = object_session(request_).get(Practice, request_.practice_id)
    return external_url("widget.confirm", {"slug": practice.slug, "token": token})


def _appointment_url(
    endpoint: str, appointment: Appointment, external: bool, lang, purpose=tokens.Purpose.CANCEL
) -> str:
    token = customer_token(appointment, purpose)
    values = {"slug": appointment.practice.slug, "token": token, "lang": lang}
    return external_url(endpoint, values) if external else url_for(endpoint, **values)


def external_url(endpoint: str, values: dict) -> str:
    """`endpoint`'s absolute address under BASE_URL, with or without a request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
