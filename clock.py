"""The web side's clock, in one place: core never reads the time itself, it is given `now`."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def utcnow() -> datetime:
    """Now, in UTC. Tests may pin it with the `CLOCK` setting (a function returning `now`)."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else datetime.now(UTC)
