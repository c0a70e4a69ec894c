"""The settings that close or open a branch's days: its country and state (statutory
holidays), openings on a holiday and its own closing days. Rules live in
core.closure_settings; errors re-render the settings page."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import admin_only, get
from console.settings import settings_action
from core import closure_settings
from core.models import Branch
from extensions import db


@bp.post("/settings/branches/<int:branch_id>/holidays")
@admin_only
def save_branch_region(branch_id: int):
    branch = get(Branch, branch_id)
    return settings_action(
        lambda: closure_settings.save_region(db.session, branch, request.form, utcnow())
    )


@bp.post("/settings/branches/<int:branch_id>/days")
@admin_only
def add_branch_day(branch_id: int):
    branch = get(Branch, branch_id)
    return settings_action(
        lambda: closure_settings.add_day(
            db.session,
            branch,
            request.form.get("day", ""),
            request.form.get("is_open") == "yes",
            request.form.get("name", ""),
            utcnow(),
        )
    )


@bp.post("/settings/branch-days/<int:day_id>/delete")
@admin_only
def remove_branch_day(day_id: int):
    """An unknown id or another practice's day is a 404 (core's NotFound)."""
    return settings_action(
        lambda: closure_settings.remove_day(db.session, current_user.practice_id, day_id, utcnow())
    )
