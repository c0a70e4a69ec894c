"""Whole numbers from form and URL text, parsed one way for the whole app.

An id is positive and fits PostgreSQL's `integer`: a larger number is no row of ours, and
asking the database for it would fail instead of answering "not found". A count (minutes,
a position, a capacity) is a short run of ASCII digits; anything else is the default.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def is_id(number: int) -> bool:
    return 0 < number <= MAX_ID


def parse_id(raw: str | None) -> int | None:
    """A database id written in ASCII digits, or None ("٣", "-1", "0", "99999999999")."""
    raw = raw or ""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID))):
        return None
    number = int(raw)
    return number if is_id(number) else None


def parse_count(raw: str | None, default: int) -> int:
    """A non-negative whole number of at most five digits, else `default`."""
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else default
