"""The admin's logins page: deactivate and re-enable, set the role, reset a password.

A deactivated login's sessions stop at once (the session loader reads `active` on every
request) and a new password ends the login's other sessions (console.auth)."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from console.blueprint import bp
from console.common import admin_only, get, practice
from console.render import render
from core import accounts
from core.models import Role, User
from extensions import db


def users_context(error: str | None = None) -> dict:
    p = practice()
    users = db.session.scalars(
        select(User).where(User.practice_id == p.id).order_by(User.active.desc(), User.email)
    ).all()
    return {"practice": p, "users": users, "roles": list(Role), "error": error}


@bp.get("/users")
@admin_only
def users():
    return render("console/users.html", **users_context())


@bp.post("/users/<int:user_id>")
@admin_only
def update_user(user_id: int):
    user = get(User, user_id)
    form = request.form
    password = form.get("password", "")
    if password and len(password) < accounts.MIN_PASSWORD:
        return _error(accounts.PASSWORD_TOO_SHORT)
    active = {"deactivate": False, "activate": True}.get(form.get("action", ""))
    try:
        accounts.update_login(
            db.session,
            user,
            active=active,
            role=form.get("role") or None,
            password_hash=generate_password_hash(password) if password else None,
        )
    except accounts.AccountError as error:
        return _error(str(error))
    return redirect(url_for("console.users"), code=303)


def _error(message: str):
    db.session.rollback()
    return render("console/users.html", status=422, **users_context(_(message)))
