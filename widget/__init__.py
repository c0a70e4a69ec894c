"""The customer-facing booking widget: server-rendered HTML, no JavaScript, no cookies.

Each page is a module attaching its routes to `widget.blueprint.bp`; importing the package
registers them all.
"""

from widget import (  # noqa: F401
    booking,
    cancel,
    common,
    coordination,
    entry,
    outage,
    reschedule,
    waitlist,
    week,
)
from widget.blueprint import bp

__all__ = ["bp"]
