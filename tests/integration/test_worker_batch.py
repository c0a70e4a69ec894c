"""A worker killed in the middle of a delivery batch: every row it reached is sent once and
recorded, every other row is pending and due again, and a restarted worker sends each of
those once. The SMTP sink holds one message's DATA answer until the kill, so the kill falls
at a known point of the batch without any sleep: the test waits for that message to arrive.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core.models import Notification, NotificationState
from harness.processes import burst_process, worker_env
from harness.smtp import SmtpSink
from tests.workers import due_staff_alerts

MESSAGES = 30
HELD = 12  # the message in flight at the kill


class HoldingSink(SmtpSink):
    """Keeps the first HELD - 1 messages; the HELD-th is answered only after `release` (and
    then refused, so it counts as not received); remembers each client connection."""

    def __init__(self) -> None:
        super().__init__()
        self.reached, self.release = threading.Event(), threading.Event()
        self.connections: set = set()
        self.holding = True

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        if self.holding and len(self.messages) == HELD - 1:
            self.reached.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 Try again later"
        self.connections.add(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink():
    sink = HoldingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    sink.release.set()
    controller.stop()


def states(session) -> Counter:
    session.expire_all()
    found = Counter(session.scalars(select(Notification.state)))
    session.rollback()
    return found


def test_a_kill_mid_batch_leaves_each_row_sent_once_or_due_again(
    app, session, sink, redis_conn, now, database_url
):
    if database_url.startswith("sqlite"):
        pytest.skip("the production setup for several processes is PostgreSQL")
    due_staff_alerts(session, now, MESSAGES)
    env = worker_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        sink.port,
        secret_key=app.config["SECRET_KEY"],
        OUTBOX_BATCH="50",
    )

    first = burst_process(env)
    assert sink.reached.wait(timeout=120), "the worker did not reach the held message"
    first.send_signal(signal.SIGKILL)
    first.wait()
    sink.release.set()

    assert len(sink.messages) == HELD - 1
    assert len(sink.connections) == 1  # one batch, one SMTP connection
    # Each row the batch reached was recorded before the next began; none is in between.
    assert states(session) == {
        NotificationState.SENT: HELD - 1,
        NotificationState.PENDING: MESSAGES - HELD + 1,
    }
    due_again = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.state == NotificationState.PENDING,
            Notification.attempts == 0,
            Notification.not_before <= datetime.now(UTC),
        )
    )
    session.rollback()
    assert due_again == MESSAGES - HELD + 1

    sink.holding = False
    second = burst_process(env)
    assert second.wait(timeout=120) == 0
    received = Counter(str(m["To"]) for m in sink.messages)
    assert received == Counter({f"staff{i}@example.org": 1 for i in range(MESSAGES)})
    assert states(session) == {NotificationState.SENT: MESSAGES}
