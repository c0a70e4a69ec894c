"""The admin's practice settings: origins, statuses, types, branches, resources, hours,
absences, logins and the blocklist. Rules live in core.settings."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from clock import utcnow
from console.blueprint import bp
from console.common import admin_only, get, id_value, practice
from console.render import render
from core import abuse, accounts, closure_settings, closures, numbers
from core import settings as rules
from core.models import (
    AppointmentType,
    BlockedContact,
    Branch,
    Resource,
    Status,
    StatusKind,
    User,
)
from core.single_line import offending_fields
from extensions import db


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    if request.method == "POST":
        try:
            rules.save_practice(db.session, practice(), request.form)
        except rules.Invalid as invalid:
            return settings_page(errors={name: _(msg) for name, msg in invalid.errors.items()})
        return redirect(url_for("console.settings"), code=303)
    return settings_page()


def settings_page(errors: dict | None = None, action_error: str | None = None):
    p = practice()
    blocked = db.session.scalars(
        select(BlockedContact)
        .where(BlockedContact.practice_id == p.id)
        .order_by(BlockedContact.value)
    ).all()
    users = db.session.scalars(
        select(User).where(User.practice_id == p.id).order_by(User.email)
    ).all()
    widget_url = current_app.config["BASE_URL"] + url_for("widget.entry", slug=p.slug)
    return render(
        "console/settings.html",
        practice=p,
        errors=errors or {},
        blocked=blocked,
        widget_url=widget_url,
        users=users,
        kinds=list(StatusKind),
        format_hours=rules.format_hours,
        regions={country: closures.subdivisions(country) for country in closures.COUNTRIES},
        holidays_of=lambda branch: closure_settings.upcoming_holidays(
            branch, utcnow(), str(get_locale())
        ),
        action_error=action_error,
        status=422 if errors or action_error else 200,
    )


def settings_action(action):
    """Run a settings use case; a SettingsError re-renders the page with its message in
    the staff member's language (core has rolled the change back)."""
    if multiline := _multiline_fields():
        return multiline
    try:
        action()
    except rules.SettingsError as error:
        return settings_page(action_error=_(error.message, **error.params))
    return redirect(url_for("console.settings"), code=303)


def _multiline_fields():
    """The settings page with a message when a single-line field holds a line break."""
    if offending_fields(request.form, exempt=("hours", "password")):
        return settings_page(
            action_error=_(
                "Names, addresses and numbers must be one line, "
                "without line breaks or control characters."
            )
        )
    return None


def _flag(name: str) -> bool:
    return request.form.get(name) == "yes"


def _number(name: str, default: int = 0) -> int:
    return numbers.parse_count(request.form.get(name), default)


def _minutes(name: str) -> int:
    """An optional number of minutes: empty is none, anything but digits is refused (-1)."""
    raw = request.form.get(name, "").strip()
    return numbers.parse_count(raw, -1) if raw else 0


@bp.post("/settings/statuses/new", defaults={"status_id": None})
@bp.post("/settings/statuses/<int:status_id>")
@admin_only
def save_status(status_id: int | None):
    p = practice()
    status = get(Status, status_id) if status_id else None
    return settings_action(
        lambda: rules.save_status(
            db.session,
            p,
            status,
            name=request.form.get("name", ""),
            description=request.form.get("description", ""),
            position=_number("position"),
            kind=request.form.get("kind", ""),
            colour=request.form.get("color", ""),
            is_default=_flag("is_default"),
        )
    )


@bp.post("/settings/statuses/<int:status_id>/archive")
@admin_only
def archive_status(status_id: int):
    """Archive a status nobody uses any more, or offer an archived one again."""
    status = get(Status, status_id)
    archived = request.form.get("archived") == "yes"
    return settings_action(
        lambda: rules.archive_status(
            db.session, practice(), status, archived=archived, now=utcnow()
        )
    )


@bp.post("/settings/types/new", defaults={"type_id": None})
@bp.post("/settings/types/<int:type_id>")
@admin_only
def save_type(type_id: int | None):
    p = practice()
    kind = get(AppointmentType, type_id) if type_id else None
    resource_ids = [i for i in map(numbers.parse_id, request.form.getlist("resources")) if i]
    return settings_action(
        lambda: rules.save_type(
            db.session,
            p,
            kind,
            name=request.form.get("name", ""),
            duration=_number("duration"),
            capacity=_number("capacity", 1),
            online_bookable=_flag("online_bookable"),
            requires_approval=_flag("requires_approval"),
            reminders_allowed=_flag("reminders_allowed"),
            reschedulable=_flag("reschedulable"),
            resource_ids=resource_ids,
            initial_status_id=id_value(request.form, "initial_status"),
            buffer_before=_minutes("buffer_before"),
            buffer_after=_minutes("buffer_after"),
        )
    )


@bp.post("/settings/branches/new", defaults={"branch_id": None})
@bp.post("/settings/branches/<int:branch_id>")
@admin_only
def save_branch(branch_id: int | None):
    p = practice()
    branch = get(Branch, branch_id) if branch_id else None
    return settings_action(lambda: rules.save_branch(db.session, p, branch, request.form))


@bp.post("/settings/resources/new", defaults={"resource_id": None})
@bp.post("/settings/resources/<int:resource_id>")
@admin_only
def save_resource(resource_id: int | None):
    p = practice()
    resource = get(Resource, resource_id) if resource_id else None
    return settings_action(
        lambda: rules.save_resource(
            db.session,
            p,
            resource,
            name=request.form.get("name", ""),
            branch_id=id_value(request.form, "branch") or 0,
            notification_email=request.form.get("notification_email", ""),
            active=_flag("active"),
        )
    )


@bp.post("/settings/resources/<int:resource_id>/hours")
@admin_only
def save_hours(resource_id: int):
    resource = get(Resource, resource_id)
    return settings_action(
        lambda: rules.save_hours(db.session, resource, request.form.get("hours", ""))
    )


@bp.post("/settings/resources/<int:resource_id>/absences")
@admin_only
def add_absence(resource_id: int):
    resource = get(Resource, resource_id)
    return settings_action(
        lambda: rules.add_absence(
            db.session,
            resource,
            request.form.get("starts", ""),
            request.form.get("ends", ""),
            request.form.get("reason", ""),
        )
    )


@bp.post("/settings/absences/<int:absence_id>/delete")
@admin_only
def delete_absence(absence_id: int):
    rules.delete_absence(db.session, current_user.practice_id, absence_id)
    return redirect(url_for("console.settings"), code=303)


@bp.post("/settings/users")
@admin_only
def add_user():
    if multiline := _multiline_fields():
        return multiline
    password = request.form.get("password", "")
    if len(password) < 10:
        return settings_page(action_error=_("The password needs at least 10 characters."))
    try:
        accounts.create_user(
            db.session,
            slug=practice().slug,
            email=request.form.get("email", "")[:254],
            name=request.form.get("name", "")[:200],
            role="admin" if request.form.get("role") == "admin" else "staff",
            password_hash=generate_password_hash(password),
            now=utcnow(),
        )
    except accounts.AccountError as error:
        db.session.rollback()
        return settings_page(action_error=str(error))
    return redirect(url_for("console.settings"), code=303)


@bp.post("/settings/blocklist")
@admin_only
def block_contact():
    value = request.form.get("value", "").strip()[:254]
    if value:
        abuse.block(db.session, current_user.practice_id, value, now=utcnow())
    return redirect(url_for("console.settings"), code=303)


@bp.post("/settings/blocklist/<int:entry_id>/delete")
@admin_only
def unblock_contact(entry_id: int):
    abuse.unblock(db.session, get(BlockedContact, entry_id))
    return redirect(url_for("console.settings"), code=303)
