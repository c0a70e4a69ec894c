"""Staff login and logout."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app import db, login_manager
from console import bp
from core.models import User


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
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return StaffUser(user) if user is not None and user.active else None


login_manager.login_view = "console.login"
login_manager.login_message = None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    error = None
    email = request.form.get("email", "").strip().lower()[:254]
    if request.method == "POST":
        user = _authenticate(email, request.form.get("password", ""))
        if user is None:
            error = _("Email or password is wrong.")
        else:
            login_user(StaffUser(user))
            return redirect(url_for("console.index"))
    status = 401 if error else 200
    return render_template("console/login.html", error=error, email=email), status


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
