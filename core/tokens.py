"""Signed tokens for links and forms: one purpose salt each, always with an expiry.

A token signed for one purpose (say a cancellation link) never verifies for another (say an
accept link), and every caller states how old a token may be. itsdangerous is a small pure
library (it ships with Flask but does not need it).
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class BadToken(Exception):
    """Forged, altered or for another purpose."""


class ExpiredToken(BadToken):
    """Genuine but too old."""


class Purpose:
    BOOKING_FORM = "booking-form"
    CANCEL = "cancel-appointment"
    RESCHEDULE = "reschedule-appointment"
    WAITLIST = "join-waitlist"
    WAITLIST_OFFER = "take-waitlist-offer"
    ICS = "download-ics"
    COORDINATION = "coordination-answer"


def sign(secret: str, purpose: str, data: Any) -> str:
    return URLSafeTimedSerializer(secret, salt=purpose).dumps(data)


def read(secret: str, purpose: str, token: str, *, max_age: int) -> Any:
    """Return the signed data, or raise BadToken / ExpiredToken. `max_age` is in seconds."""
    try:
        return URLSafeTimedSerializer(secret, salt=purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ExpiredToken() from None
    except (BadSignature, UnicodeError, ValueError):
        raise BadToken() from None
