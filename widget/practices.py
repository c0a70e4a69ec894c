"""A practice's settings as the week grid reads them (its types, their resources and working
hours, its branches), kept in each web process per settings version: a week page miss then
asks the database only for bookings, absences and closing days, and the booking form and
its POST need no query to validate the customer's choice.

The held copy is detached and never touched by a request: each request merges it into its
own session without a query (`load=False`), so lazy loads and the identity map work as
usual. A settings change raises the practice's settings version (versions.py), read before
the practice is loaded, so a copy is never held under a version newer than its data. One
entry per practice, replaced on change: memory grows with the practices this process has
served, never per request.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import Practice
from extensions import db
from widget import cache
from widget.common import adopt_practice, load_practice

_held: dict[int, tuple[str, Practice]] = {}


def load(slug: str) -> Practice:
    """The practice the URL names with its types, resources and branches, or the widget's
    404 (one Redis round trip for its settings version first)."""
    return for_week(slug, *cache.settings_version(slug))


def for_week(slug: str, practice_id: int | None, settings_version: str | None) -> Practice:
    """The practice the URL names with all its grid needs loaded, or the widget's 404; the
    caller read `settings_version` before (the week page's lookup does)."""
    held = _held.get(practice_id) if practice_id and settings_version else None
    if held is not None and held[0] == settings_version and held[1].slug == slug:
        return adopt_practice(db.session.merge(held[1], load=False))
    practice = load_practice(slug, eager=True)
    if settings_version and practice.id == practice_id:
        _held[practice.id] = (settings_version, _detached_copy(practice))
    return practice


def _detached_copy(practice: Practice) -> Practice:
    """A copy of the loaded graph outside any session (merged without a query)."""
    scratch = Session()
    try:
        return scratch.merge(practice, load=False)
    finally:
        scratch.expunge_all()
        scratch.close()


def forget() -> None:
    """Drop every held copy (tests that rebuild the database under the same ids)."""
    _held.clear()
