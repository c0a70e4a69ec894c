"""A worker killed with SIGKILL in the middle of a batch: after a restart nothing is lost,
and nothing is sent twice except, at most, the one message in flight at the kill."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.models import Notification, NotificationState
from harness.processes import burst_process, worker_env
from tests.workers import due_staff_alerts

MESSAGES = 40


def worker(app, smtp) -> subprocess.Popen:
    env = worker_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        secret_key=app.config["SECRET_KEY"],
        RQ_JOB_TIMEOUT="10",
    )
    return burst_process(env)


def test_sigkill_mid_batch_loses_nothing(app, session, smtp, redis_conn, now, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("the production setup for several processes is PostgreSQL")
    due_staff_alerts(session, now, MESSAGES)
    smtp.delay = 0.1

    first = worker(app, smtp)
    deadline = time.monotonic() + 60
    while len(smtp.messages) < 10:
        assert time.monotonic() < deadline and first.poll() is None, "worker did not get going"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    sent_before_restart = len(smtp.messages)
    assert sent_before_restart < MESSAGES  # really killed mid-batch

    smtp.delay = 0
    second = worker(app, smtp)
    assert second.wait(timeout=120) == 0
    received = Counter(str(m["To"]) for m in smtp.messages)
    assert set(received) == {f"staff{i}@example.org" for i in range(MESSAGES)}
    assert sum(received.values()) - MESSAGES <= 1, received.most_common(2)
    session.expire_all()
    pending = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.state != NotificationState.SENT)
    )
    assert pending == 0
