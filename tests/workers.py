"""The app and the real RQ worker against a test's own database and Redis, in this process.
(`python worker.py --burst` processes, which bench/outbox.py starts too, are in
harness.processes.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rq import SimpleWorker

from harness.services import REDIS_URL


def make_app(database_url, tmp_path, **overrides):
    """The app on this database and the test Redis, with short retries so tests see them."""
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": REDIS_URL,
            "MAIL_DIR": str(tmp_path / "mail"),
            "SMS_DIR": str(tmp_path / "sms"),
            "RQ_RETRY_DELAY": 1,
            "RQ_RETRIES": 3,
            **overrides,
        }
    )


@contextmanager
def mailing_app(database_url, tmp_path, smtp, **overrides) -> Iterator:
    """make_app sending mail to the SMTP sink, inside its app context; leaving releases the
    session and the engine's connections (PostgreSQL truncates the next test's tables)."""
    from extensions import db

    app = make_app(
        database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, **overrides
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def burst(app) -> None:
    """A real RQ worker in burst mode, in this process (with its scheduler for retries)."""
    queue = app.extensions["rq_queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)


def dispatcher(app) -> int:
    """One run of the worker's periodic outbox dispatcher; how many rows it re-enqueued."""
    import worker

    return worker.dispatch_outbox()


def due_staff_alerts(session, now, count: int) -> None:
    """The demo practice and `count` staff alerts of its first appointment, due for a worker
    process's real clock (its own `now`), committed: one queued job per row."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from core import demo, outbox
    from core.models import Appointment

    demo.seed(session, now=now, admin_password_hash="x")
    appointment = session.scalars(select(Appointment)).first()
    session.query(outbox.Notification).delete()
    for i in range(count):
        outbox.add(
            session,
            appointment,
            outbox.Kind.STAFF_NEW_REQUEST,
            f"staff{i}@example.org",
            now=now,
            not_before=datetime.now(UTC),
        )
    session.commit()
