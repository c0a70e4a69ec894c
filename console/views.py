"""Console pages: inbox, request detail, calendar, customers, outbox, settings.

Views are thin: resolve rows through `triage.owned` (tenancy), call one core use case,
render the page or its fragment with `render`. Each page has one context builder.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.exceptions import NotFound

from clock import utcnow
from console import bp
from console.render import render
from core import abuse, booking, coordination, outbox, triage, workflow
from core.models import (
    Appointment,
    AppointmentType,
    BlockedContact,
    Channel,
    Customer,
    Notification,
    NotificationState,
    Practice,
    Resource,
    Status,
    StatusKind,
)
from extensions import db


@bp.before_request
def _needs_login():
    """Every console route but the login page needs a logged-in staff member."""
    if request.endpoint != "console.login" and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


@bp.errorhandler(triage.NotFound)
def _not_found(_error):
    """Another practice's id looks exactly like an id that does not exist."""
    return NotFound()


def id_value(values, name: str) -> int | None:
    """A positive database id from a form or query string, or None (never an overflow)."""
    raw = values.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else None


def practice() -> Practice:
    return db.session.get(Practice, current_user.practice_id)


def get(model, row_id: int):
    """A row of the logged-in user's practice, or 404."""
    return triage.owned(db.session, model, row_id, current_user.practice_id)


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.app_template_filter("local")
def _local(dt: datetime, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return dt.astimezone(ZoneInfo(practice().timezone)).strftime(fmt)


# History notes core writes in English, each shown in the staff member's language.
NOTE_PATTERNS = [
    (
        re.compile(r"moved from (\S+) to (\S+)"),
        lambda m: _(
            "moved from %(old)s to %(new)s",
            old=_local(datetime.fromisoformat(m[1])),
            new=_local(datetime.fromisoformat(m[2])),
        ),
    ),
    (re.compile(r"customer linked: (.*)"), lambda m: _("customer linked: %(name)s", name=m[1])),
    (re.compile(r"customer created: (.*)"), lambda m: _("customer created: %(name)s", name=m[1])),
    (
        re.compile(r"customer merged: (.*) \(#\d+\) into #\d+"),
        lambda m: _("customer merged: %(name)s", name=m[1]),
    ),
    (
        re.compile(re.escape(coordination.NOTES[coordination.Action.ACCEPT])),
        lambda m: _("Accepted by the customer through the please-confirm email"),
    ),
    (
        re.compile(re.escape(coordination.NOTES[coordination.Action.DECLINE])),
        lambda m: _("Declined by the customer through the please-confirm email"),
    ),
]


@bp.app_template_filter("history_text")
def _history_text(text: str) -> str:
    for pattern, render_note in NOTE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return render_note(match)
            except ValueError:  # not a time after all: show it as written
                return text
    return text


@bp.app_template_filter("ago")
def _ago(dt: datetime) -> str:
    return format_timedelta(dt - utcnow(), add_direction=True, threshold=1.1)


@bp.get("/status-colours.css")
def status_css():
    """The practice's status colours as classes: a strict CSP forbids inline style attributes."""
    rules = []
    for status in practice().statuses:
        colour = status.color if re.fullmatch(r"#[0-9a-fA-F]{6}", status.color or "") else "#6b7280"
        rules.append(
            f".status-{status.id} {{ border-color: {colour}; border-left-color: {colour}; }}\n"
            f".status-{status.id} .dot {{ background: {colour}; }}"
        )
    response = current_app.response_class("\n".join(rules), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/")
def index():
    return redirect(url_for("console.inbox"))


# --- Inbox ---------------------------------------------------------------------------------


def inbox_context() -> dict:
    p = practice()
    branch_id = id_value(request.args, "branch")
    processed = request.args.get("processed") == "1"
    items = triage.inbox(db.session, p.id, branch_id=branch_id, processed=processed)
    # Arrivals since the staff member opened the inbox stay highlighted: the poll URL keeps
    # that moment, so it stays the same from poll to poll and an unchanged inbox answers 304.
    since = request.args.get("since", type=int) or int(utcnow().timestamp())
    return {
        "practice": p,
        "items": items,
        "branch_id": branch_id,
        "processed": processed,
        "since": since,
        "poll_seconds": p.inbox_poll_seconds,
        "open_count": len(triage.inbox(db.session, p.id)) if processed else len(items),
    }


@bp.get("/inbox")
def inbox():
    """Polled by htmx every `inbox_poll_seconds`; an unchanged inbox answers 304."""
    version = triage.inbox_version(db.session, current_user.practice_id)
    bucket = int(utcnow().timestamp() // 600)  # "x minutes ago" may change every 10 minutes
    etag = f"{version}-{bucket}-{request.query_string.decode()}-{current_user.id}"
    if request.headers.get("HX-Request") and etag in request.if_none_match:
        return "", 304
    response = render("console/inbox.html", "inbox", **inbox_context())
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- Request detail ------------------------------------------------------------------------


def detail_context(appointment: Appointment, **extra) -> dict:
    p = practice()
    suggestions = triage.suggestions(db.session, appointment)
    latest = coordination.latest_for(db.session, appointment)
    return {
        "practice": p,
        "a": appointment,
        "coordination": latest,
        "coordination_state": coordination.explanation(latest, utcnow()) if latest else None,
        "can_coordinate": coordination.can_start(appointment, utcnow()),
        "statuses": p.statuses,
        "suggestions": [(c, triage.differences(appointment, c)) for c in suggestions],
        "field_labels": FIELD_LABELS,
        "error": None,
        **extra,
    }


FIELD_LABELS = {
    "salutation": "Salutation",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
}


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id: int):
    return render("console/appointment.html", **detail_context(get(Appointment, appointment_id)))


@bp.post("/appointments/<int:appointment_id>/status")
def change_status(appointment_id: int):
    a = get(Appointment, appointment_id)
    status_id = id_value(request.form, "status") or 0
    try:
        triage.set_status(
            db.session,
            a,
            status_id,
            user_id=current_user.user.id,
            now=utcnow(),
            reason=request.form.get("reason", "")[:1000],
        )
    except (triage.NotFound, workflow.InvalidTransition):
        db.session.rollback()
        return _detail_error(a, _("This status cannot be chosen for this appointment."))
    except workflow.ReasonRequired:
        db.session.rollback()
        return _detail_error(a, _("Please give a reason; the customer's email quotes it."))
    except booking.SlotTaken:
        db.session.rollback()
        return _detail_error(a, _("The time overlaps another appointment of this resource."))
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _detail_error(a: Appointment, message: str):
    db.session.expire_all()
    a = db.session.get(Appointment, a.id)
    return render("console/appointment.html", status=422, **detail_context(a, error=message))


@bp.post("/appointments/<int:appointment_id>/link")
def link_customer(appointment_id: int):
    a = get(Appointment, appointment_id)
    customer_id = id_value(request.form, "customer") or 0
    take = tuple(request.form.getlist("take"))
    try:
        triage.link_customer(
            db.session, a, customer_id, user_id=current_user.user.id, now=utcnow(), take=take
        )
    except triage.NotFound:
        db.session.rollback()
        return _detail_error(a, _("This customer does not exist."))
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


@bp.post("/appointments/<int:appointment_id>/new-customer")
def create_customer(appointment_id: int):
    a = get(Appointment, appointment_id)
    if a.customer_id is None:
        triage.create_customer_from_request(
            db.session, a, user_id=current_user.user.id, now=utcnow()
        )
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


# --- Calendar ------------------------------------------------------------------------------


def calendar_context() -> dict:
    p = practice()
    tz = ZoneInfo(p.timezone)
    branches = p.branches
    branch_id = id_value(request.args, "branch")
    branch = next((b for b in branches if b.id == branch_id), branches[0] if branches else None)
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        day = utcnow().astimezone(tz).date()
    view = "week" if request.args.get("view") == "week" else "day"
    days = (
        [day - timedelta(days=day.weekday()) + timedelta(days=i) for i in range(6)]
        if view == "week"
        else [day]
    )
    start = datetime.combine(days[0], time(0), tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=tz)
    resources = [r for r in branch.resources if r.active] if branch else []
    rows = db.session.scalars(
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.resource_id.in_([r.id for r in resources]),
            Appointment.start < end,
            Appointment.end > start,
            Status.kind.not_in(booking.FREEING_KINDS),
            Appointment.blocked.is_(False),
        )
        .order_by(Appointment.start)
    ).all()
    cells = {(d, r.id): [] for d in days for r in resources}
    for a in rows:
        cells.setdefault((a.start.astimezone(tz).date(), a.resource_id), []).append(a)
    customers = db.session.scalars(
        select(Customer).where(Customer.practice_id == p.id).order_by(Customer.last_name).limit(500)
    ).all()
    return {
        "practice": p,
        "branches": branches,
        "branch": branch,
        "day": day,
        "days": days,
        "view": view,
        "resources": resources,
        "cells": cells,
        "customers": customers,
        "types": p.appointment_types,
        "declined_count": coordination.declined_counts(db.session, p.id).get(branch.id, 0)
        if branch
        else 0,
        "error": None,
        "prev": days[0] - timedelta(days=7 if view == "week" else 1),
        "next": days[0] + timedelta(days=7 if view == "week" else 1),
    }


@bp.get("/calendar")
def calendar():
    return render("console/calendar.html", "calendar", **calendar_context())


@bp.post("/calendar/appointments")
def create_appointment():
    from core import scheduling

    p = practice()
    form = request.form
    try:
        customer = get(Customer, id_value(form, "customer") or 0)
        kind = get(AppointmentType, id_value(form, "type") or 0)
        resource = get(Resource, id_value(form, "resource") or 0)
        start = _local_start(p, form.get("date", ""), form.get("time", ""))
        scheduling.create_for_customer(
            db.session,
            p,
            customer,
            kind,
            resource,
            start,
            user_id=current_user.user.id,
            now=utcnow(),
        )
    except (triage.NotFound, ValueError):
        db.session.rollback()
        return _calendar_error(_("Please choose a customer, a type, a resource and a valid time."))
    except booking.SlotTaken:
        db.session.rollback()
        return _calendar_error(_("The time overlaps another appointment of this resource."))
    return redirect(
        url_for(
            "console.calendar",
            branch=resource.branch_id,
            date=start.astimezone(ZoneInfo(p.timezone)).date().isoformat(),
        ),
        code=303,
    )


@bp.post("/appointments/<int:appointment_id>/move")
def move_appointment(appointment_id: int):
    from core import scheduling

    a = get(Appointment, appointment_id)
    try:
        resource = get(Resource, id_value(request.form, "resource") or a.resource_id)
        start = _local_start(practice(), request.form.get("date", ""), request.form.get("time", ""))
        scheduling.move(db.session, a, resource, start, user_id=current_user.user.id, now=utcnow())
    except (triage.NotFound, ValueError):
        db.session.rollback()
        return _detail_error(a, _("Please choose a resource and a valid time."))
    except booking.SlotTaken:
        db.session.rollback()
        return _detail_error(a, _("The time overlaps another appointment of this resource."))
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _local_start(p: Practice, day: str, at: str) -> datetime:
    from core.availability import local_instant

    instant = local_instant(
        date.fromisoformat(day[:10]), time.fromisoformat(at[:5]), ZoneInfo(p.timezone)
    )
    if instant is None:
        raise ValueError("no such local time")
    return instant


def _calendar_error(message: str):
    context = calendar_context()
    context["error"] = message
    return render("console/calendar.html", status=422, **context)


# --- Customers -----------------------------------------------------------------------------


@bp.get("/customers")
def customers():
    q = request.args.get("q", "").strip()[:100]
    query = select(Customer).where(Customer.practice_id == current_user.practice_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                Customer.last_name.ilike(like),
                Customer.first_name.ilike(like),
                Customer.email.ilike(like),
                Customer.phone.ilike(like),
            )
        )
    rows = db.session.scalars(query.order_by(Customer.last_name).limit(100)).all()
    return render("console/customers.html", "results", customers=rows, q=q, practice=practice())


@bp.route("/customers/new", methods=["GET", "POST"])
@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
def customer(customer_id: int | None = None):
    from console.customer_form import CustomerForm

    c = get(Customer, customer_id) if customer_id else None
    form = CustomerForm.from_customer(c)
    if request.method == "POST":
        form = CustomerForm.parse(request.form, practice().country)
        if form.valid:
            c = form.save(db.session, c, current_user.practice_id, utcnow())
            return redirect(url_for("console.customer", customer_id=c.id), code=303)
    appointments = (
        db.session.scalars(
            select(Appointment)
            .where(Appointment.customer_id == c.id)
            .order_by(Appointment.start.desc())
        ).all()
        if c
        else []
    )
    now = utcnow()
    return render(
        "console/customer.html",
        customer=c,
        form=form,
        appointments=appointments,
        confirmable={a.id for a in appointments if coordination.can_start(a, now)},
        others=_merge_candidates(c) if c else [],
        channels=list(Channel),
        practice=practice(),
        status=422 if form.errors else 200,
    )


def _merge_candidates(c: Customer) -> list[Customer]:
    """The practice's other customers, for the duplicate picker."""
    return db.session.scalars(
        select(Customer)
        .where(Customer.practice_id == c.practice_id, Customer.id != c.id)
        .order_by(Customer.last_name, Customer.first_name)
        .limit(500)
    ).all()


@bp.post("/customers/<int:customer_id>/merge")
def merge_customer(customer_id: int):
    """Merge the chosen duplicate into this customer."""
    keep = get(Customer, customer_id)
    duplicate = get(Customer, id_value(request.form, "duplicate") or 0)
    triage.merge_customers(db.session, keep, duplicate, user_id=current_user.user.id, now=utcnow())
    db.session.commit()
    return redirect(url_for("console.customer", customer_id=keep.id), code=303)


@bp.get("/customers/<int:customer_id>/export")
def export_customer(customer_id: int):
    """Everything stored about the customer as JSON (GDPR Art. 15)."""
    from core import privacy

    c = get(Customer, customer_id)
    response = jsonify(privacy.export_customer(db.session, c))
    response.headers["Content-Disposition"] = f'attachment; filename="kunde-{c.id}.json"'
    return response


@bp.post("/customers/<int:customer_id>/erase")
@admin_only
def erase_customer(customer_id: int):
    """Erase the customer (GDPR Art. 17): appointments stay, anonymous and unlinked."""
    from core import privacy

    c = get(Customer, customer_id)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("console.customer", customer_id=c.id), code=303)
    privacy.erase_customer(db.session, c, utcnow())
    db.session.commit()
    return redirect(url_for("console.customers"), code=303)


# --- Outbox --------------------------------------------------------------------------------


@bp.get("/outbox")
def outbox_view():
    state = request.args.get("state", "")
    rows = outbox.listing(db.session, current_user.practice_id, state=state)
    return render(
        "console/outbox.html",
        rows=rows,
        state=state,
        states=list(NotificationState),
        practice=practice(),
    )


@bp.post("/outbox/<int:notification_id>/retry")
def retry_notification(notification_id: int):
    n = get(Notification, notification_id)
    if n.state in (NotificationState.FAILED, NotificationState.SKIPPED):
        outbox.retry(n, utcnow())
        db.session.commit()
    return redirect(url_for("console.outbox_view"), code=303)


# --- Settings (admin) ----------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    p = practice()
    errors = {}
    if request.method == "POST":
        errors = _save_settings(p, request.form)
        if not errors:
            db.session.commit()
            return redirect(url_for("console.settings"), code=303)
        db.session.rollback()
    return settings_page(errors=errors)


def settings_page(errors: dict | None = None, action_error: str | None = None):
    from core import settings as rules
    from core.models import User

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
        action_error=action_error,
        status=422 if errors or action_error else 200,
    )


def _save_settings(p: Practice, form) -> dict:
    errors = {}
    origins = [
        o.strip().rstrip("/") for o in form.get("embed_origins", "").splitlines() if o.strip()
    ]
    bad = [
        o for o in origins if not o.startswith(("https://", "http://")) or " " in o or len(o) > 200
    ]
    if bad:
        errors["embed_origins"] = _("Each line must be an origin like https://www.example.de")
    poll = id_value(form, "inbox_poll_seconds")
    if poll is None or not 10 <= poll <= 3600:
        errors["inbox_poll_seconds"] = _("Between 10 and 3600 seconds.")
    grace = (
        _number("coordination_grace_minutes", -1)
        if "coordination_grace_minutes" in form
        else p.coordination_grace_minutes
    )
    if not 0 <= grace <= 120:
        errors["coordination_grace_minutes"] = _("Between 0 and 120 minutes.")
    if not errors:
        p.embed_origins = "\n".join(origins)
        p.inbox_poll_seconds = poll
        p.coordination_grace_minutes = grace
        p.privacy_policy_url = form.get("privacy_policy_url", "").strip()[:500] or None
        p.staff_alert_email = form.get("staff_alert_email", "").strip()[:254] or None
    return errors


def _settings_action(action):
    """Run a settings change; a SettingsError re-renders the page with its message."""
    from core.settings import SettingsError

    try:
        action()
        db.session.commit()
    except SettingsError as error:
        db.session.rollback()
        return settings_page(action_error=str(error))
    return redirect(url_for("console.settings"), code=303)


def _flag(name: str) -> bool:
    return request.form.get(name) == "yes"


def _number(name: str, default: int = 0) -> int:
    raw = request.form.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else default


@bp.post("/settings/statuses/new", defaults={"status_id": None})
@bp.post("/settings/statuses/<int:status_id>")
@admin_only
def save_status(status_id: int | None):
    from core import settings as rules

    p = practice()
    status = get(Status, status_id) if status_id else None
    return _settings_action(
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


@bp.post("/settings/types/new", defaults={"type_id": None})
@bp.post("/settings/types/<int:type_id>")
@admin_only
def save_type(type_id: int | None):
    from core import settings as rules

    p = practice()
    kind = get(AppointmentType, type_id) if type_id else None
    resource_ids = [
        int(v)
        for v in request.form.getlist("resources")
        if v.isascii() and v.isdigit() and len(v) < 10
    ]
    return _settings_action(
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
            resource_ids=resource_ids,
            initial_status_id=id_value(request.form, "initial_status"),
        )
    )


@bp.post("/settings/branches/new", defaults={"branch_id": None})
@bp.post("/settings/branches/<int:branch_id>")
@admin_only
def save_branch(branch_id: int | None):
    from core import settings as rules
    from core.models import Branch

    p = practice()
    branch = get(Branch, branch_id) if branch_id else None
    return _settings_action(lambda: rules.save_branch(db.session, p, branch, request.form))


@bp.post("/settings/resources/new", defaults={"resource_id": None})
@bp.post("/settings/resources/<int:resource_id>")
@admin_only
def save_resource(resource_id: int | None):
    from core import settings as rules

    p = practice()
    resource = get(Resource, resource_id) if resource_id else None
    return _settings_action(
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
    from core import settings as rules

    resource = get(Resource, resource_id)
    return _settings_action(lambda: rules.save_hours(resource, request.form.get("hours", "")))


@bp.post("/settings/resources/<int:resource_id>/absences")
@admin_only
def add_absence(resource_id: int):
    from core import settings as rules

    resource = get(Resource, resource_id)
    return _settings_action(
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
    from core.models import Absence

    absence = db.session.get(Absence, absence_id) if 0 < absence_id < 2**31 else None
    if absence is None or absence.resource.practice_id != current_user.practice_id:
        raise triage.NotFound()
    db.session.delete(absence)
    db.session.commit()
    return redirect(url_for("console.settings"), code=303)


@bp.post("/settings/users")
@admin_only
def add_user():
    from werkzeug.security import generate_password_hash

    from core import accounts

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
        db.session.commit()
    return redirect(url_for("console.settings"), code=303)


@bp.post("/settings/blocklist/<int:entry_id>/delete")
@admin_only
def unblock_contact(entry_id: int):
    db.session.delete(get(BlockedContact, entry_id))
    db.session.commit()
    return redirect(url_for("console.settings"), code=303)


@bp.app_context_processor
def _console_globals():
    """The banner when no worker delivers, and the branch list for filters."""
    if not request.blueprint == "console" or not current_user.is_authenticated:
        return {}
    from notifications.queueing import worker_alive

    return {"workers_alive": worker_alive(), "StatusKind": StatusKind}
