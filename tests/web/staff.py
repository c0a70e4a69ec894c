"""Staff helpers for console tests: log in like flaskr's AuthActions, a second staff login,
the demo practice and the console tests' fixed now."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from core import demo
from core.models import Practice, Role, User

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

# The password "pw", hashed with one PBKDF2 round: logins in tests check a real hash without
# paying scrypt's 0.1 s twice per test (the product's own hashing keeps werkzeug's default).
PW_HASH = generate_password_hash("pw", method="pbkdf2:sha256:1")


class StaffActions:
    """Log in and out like flaskr's AuthActions."""

    def __init__(self, client):
        self.client = client

    def login(self, email=demo.ADMIN_EMAIL, password="pw"):
        return self.client.post("/console/login", data={"email": email, "password": password})


def staff_client(app, session, email="staff@demo.example"):
    """A client logged in as a new non-admin staff member of the demo practice."""
    session.add(
        User(
            practice=practice(session),
            email=email,
            role=Role.STAFF,
            password_hash=PW_HASH,
            created_at=NOW,
        )
    )
    session.commit()
    client = app.test_client()
    StaffActions(client).login(email)
    return client


def practice(session, slug="demo"):
    return session.scalar(select(Practice).where(Practice.slug == slug))
