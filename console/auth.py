"""Staff login and logout."""

from __future__ import annotations

import hashlib
from math import ceil

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from clock import utcnow
from console.blueprint import bp
from core import login_throttle, numbers
from core.models import User
from extensions import db, login_manager


class StaffUser(UserMixin):
    """Flask-Login's view of a User row, so that core stays free of Flask."""

    def __init__(self, user: User):
        self.user = user
        self.id = f"{user.id}-{password_mark(user)}"

    @property
    def practice_id(self) -> int:
        return self.user.practice_id

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def password_mark(user: User) -> str:
    """A digest of the password hash in the session: a new password ends old sessions (the
    signed session cookie is readable, so never the hash itself)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """Asked on every request: a deactivated login or a changed password ends the session
    at once."""
    raw_id, _, mark = session_id.partition("-")
    row_id = numbers.parse_id(raw_id)
    user = db.session.get(User, row_id) if row_id else None
    if user is None or not user.active or mark != password_mark(user):
        return None
    return StaffUser(user)


login_manager.login_view = "console.login"
login_manager.login_message = None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    error = None
    email = request.form.get("email", "").strip().lower()[:254]
    status, headers = 200, {}
    if request.method == "POST":
        store, limit = current_app.extensions["redis"], current_app.config["LOGIN_ATTEMPTS"]
        address = request.remote_addr or "-"
        if wait := login_throttle.wait_seconds(store, email, address, limit, utcnow()):
            error, status, headers = _wait_message(wait), 429, {"Retry-After": str(wait)}
        elif (user := _authenticate(email, request.form.get("password", ""))) is None:
            login_throttle.record_failure(store, email, address, limit, utcnow())
            error, status = _("Email or password is wrong."), 401
        else:
            login_throttle.record_success(store, email)
            login_user(StaffUser(user))
            return redirect(url_for("console.index"))
    return render_template("console/login.html", error=error, email=email), status, headers


def _wait_message(seconds: int) -> str:
    """Say how long to wait, so a throttled user knows it passes (and is not a lock-out)."""
    if seconds < 60:
        return ngettext(
            "Too many failed attempts. Please try again in %(num)d second.",
            "Too many failed attempts. Please try again in %(num)d seconds.",
            seconds,
        )
    minutes = ceil(seconds / 60)
    return ngettext(
        "Too many failed attempts. Please try again in %(num)d minute.",
        "Too many failed attempts. Please try again in %(num)d minutes.",
        minutes,
    )


def _authenticate(email: str, password: str) -> User | None:
    candidates = db.session.scalars(select(User).where(User.email == email, User.active))
    for user in candidates:
        if check_password_hash(user.password_hash, password):
            return user
    return None


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("console.login"))


@bp.teardown_app_request
def _forget_user(_error=None) -> None:
    """Never let one request's user leak into the next through a shared app context (tests,
    CLI runners); in production every request has its own `g` anyway."""
    g.pop("_login_user", None)
