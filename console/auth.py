"""Staff login and logout."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from console.blueprint import bp
from core import numbers, ratelimit
from core.models import User
from extensions import db, login_manager


class StaffUser(UserMixin):
    """Flask-Login's view of a User row, so that core stays free of Flask."""

    def __init__(self, user: User):
        self.user = user
        self.id = str(user.id)

    @property
    def practice_id(self) -> int:
        return self.user.practice_id

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    row_id = numbers.parse_id(user_id)
    user = db.session.get(User, row_id) if row_id else None
    return StaffUser(user) if user is not None and user.active else None


login_manager.login_view = "console.login"
login_manager.login_message = None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    error = None
    email = request.form.get("email", "").strip().lower()[:254]
    status = 200
    if request.method == "POST":
        if not _attempt_allowed(email):
            error, status = _("Too many failed attempts. Please wait 15 minutes."), 429
        elif (user := _authenticate(email, request.form.get("password", ""))) is None:
            error, status = _("Email or password is wrong."), 401
        else:
            login_user(StaffUser(user))
            return redirect(url_for("console.index"))
    return render_template("console/login.html", error=error, email=email), status


def _attempt_allowed(email: str) -> bool:
    """At most LOGIN_ATTEMPTS tries per 15 minutes per address and per client address."""
    store, limit = current_app.extensions["redis"], current_app.config["LOGIN_ATTEMPTS"]
    return ratelimit.allow(store, "login-email", email or "-", limit, 900) and ratelimit.allow(
        store, "login-ip", request.remote_addr or "-", limit * 4, 900
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
