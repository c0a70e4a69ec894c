"""The real RQ worker against a test's own database and Redis, in this process or as
`python worker.py --burst` processes the way production runs it.

Shared by the integration tests and bench/outbox.py, so that every one of them starts the
worker with the same environment and none drifts from what worker.py reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rq import SimpleWorker

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[1]


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


def worker_env(
    database_url: str,
    smtp_port: int,
    *,
    secret_key: str = "test-secret-key",
    redis_url: str = REDIS_URL,
    **extra: str,
) -> dict[str, str]:
    """What a worker process reads: this database and Redis, mail to the SMTP sink, and the
    app's secret key (links in the mail must verify in the app under test)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "SECRET_KEY": secret_key,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def burst_process(env: dict[str, str], *, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """`python worker.py --burst` in its own process; pass stderr=PIPE to read its errors."""
    return subprocess.Popen(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait for a burst process started with stderr=PIPE; fail with its last errors."""
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode()[-2000:]
