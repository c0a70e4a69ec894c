"""History notes in the staff member's language: the one renderer for every kind core stores.

Core records what happened as a kind and its parameters (`core.models.NoteKind`), never as a
sentence. This module alone turns them into words, so a note reads in German or English
whoever caused it, and its instants in the practice's local time rather than as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _

from core.models import NoteKind, Practice, StatusChange

Params = dict[str, Any]


def note_text(change: StatusChange, practice: Practice) -> str:
    """The note of a history row as a sentence, or "" for a plain status move."""
    if change.note_kind is None:
        return ""
    return TEXTS[change.note_kind](change.note_params, ZoneInfo(practice.timezone))


def _instant(value: str, zone: ZoneInfo) -> str:
    """An ISO instant as the practice's local date and time, written the staff member's way."""
    local, locale = datetime.fromisoformat(value).astimezone(zone), get_locale()
    day = format_date(local, "medium", locale=locale)
    return f"{day} {format_time(local, 'short', locale=locale)}"


def _moved(params: Params, zone: ZoneInfo) -> str:
    old, new = _instant(params["old"], zone), _instant(params["new"], zone)
    return _("moved from %(old)s to %(new)s", old=old, new=new)


def _rescheduled(params: Params, zone: ZoneInfo) -> str:
    old, new = _instant(params["old"], zone), _instant(params["new"], zone)
    return _("moved by the customer from %(old)s to %(new)s", old=old, new=new)


def _waitlist_claimed(params: Params, zone: ZoneInfo) -> str:
    old, new = _instant(params["old"], zone), _instant(params["new"], zone)
    return _(
        "moved by the customer to an earlier time from the waiting list, from %(old)s to %(new)s",
        old=old,
        new=new,
    )


def _message(params: Params, _zone: ZoneInfo) -> str:
    purposes = {
        "confirmation": _("confirmation"),
        "moved": _("appointment moved"),
        "cancelled": _("cancellation"),
        "free_text": _("free text"),
    }
    purpose = purposes.get(params.get("purpose"), params.get("purpose", ""))
    if params.get("channel") == "sms":
        return _("message to the customer by SMS: %(purpose)s", purpose=purpose)
    return _("message to the customer by email: %(purpose)s", purpose=purpose)


TEXTS: dict[NoteKind, Callable[[Params, ZoneInfo], str]] = {
    NoteKind.MOVED: _moved,
    NoteKind.RESCHEDULED: _rescheduled,
    NoteKind.WAITLIST_CLAIMED: _waitlist_claimed,
    NoteKind.CUSTOMER_LINKED: lambda p, _zone: _("customer linked: %(name)s", name=p["name"]),
    NoteKind.CUSTOMER_CREATED: lambda p, _zone: _("customer created: %(name)s", name=p["name"]),
    NoteKind.CUSTOMER_MERGED: lambda p, _zone: _("customer merged: %(name)s", name=p["name"]),
    NoteKind.ACCEPTED: lambda p, _zone: _(
        "Accepted by the customer through the please-confirm email"
    ),
    NoteKind.DECLINED: lambda p, _zone: _(
        "Declined by the customer through the please-confirm email"
    ),
    NoteKind.UNDONE: lambda p, zone: _(
        "change undone: back to %(time)s; its messages were withdrawn",
        time=_instant(p["start"], zone),
    ),
    NoteKind.MESSAGE: _message,
    NoteKind.LEGACY: lambda p, _zone: p["text"],  # written before notes were data: as it was
}
