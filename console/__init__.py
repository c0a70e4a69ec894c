"""The staff console: HTMX over server-rendered pages, login required.

Each page is a module attaching its routes to `console.blueprint.bp`; console.common adds
the guards and filters. Importing the package registers them all.
"""

from console import (  # noqa: F401
    audit,
    auth,
    branch_days,
    calendar,
    common,
    coordination,
    customers,
    feeds,
    inbox,
    notify,
    outage,
    outbox,
    processed,
    reminders,
    requests,
    settings,
    undo,
    users,
    waitlist,
)
from console.blueprint import bp

__all__ = ["bp"]
