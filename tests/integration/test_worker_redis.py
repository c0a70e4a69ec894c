"""`python worker.py` against a Redis that comes and goes: a real redis-server of the test's
own on a free port, started late, stopped and started again; mail to the SMTP sink.

Redis behaves the same under either database, so this runs on PostgreSQL only (the
production setup); each wait polls for its condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.appointments import book, demo_practice
from harness.processes import worker_env
from harness.smtp import free_port
from tests.workers import make_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


class RedisServer:
    """A redis-server of this test's own, which the test may stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Worker:
    """`python worker.py` with its stderr (JSON log lines) collected as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env={**env, "LOG_LEVEL": "INFO"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def children(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found


@pytest.fixture
def setting(database_url, tmp_path, smtp):
    if not database_url.startswith("postgresql"):
        pytest.skip("Redis outages behave alike on either database; run on PostgreSQL")
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not installed")
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    redis = RedisServer(port)
    # A short outage is bridged by RQ's own reconnect, so what was written meanwhile leaves
    # with the dispatcher's next run: a short interval keeps the test short.
    env = worker_env(database_url, smtp.port, redis_url=redis_url)
    worker = Worker({**env, "OUTBOX_DISPATCH_SECONDS": "2"})
    yield app, redis, worker
    if worker.process.poll() is None:
        worker.process.kill()
        worker.process.wait(timeout=10)
    redis.stop()


def book_now(app, email: str) -> None:
    """A confirmed booking whose mails are written while Redis is away (no job exists)."""
    from extensions import db

    now = datetime.now(UTC)
    with app.app_context():
        practice = _practice(db) or demo_practice(db.session, now)
        book(db.session, practice, now, email=email, start=now + timedelta(days=3))
        db.session.remove()


def _practice(db):
    from sqlalchemy import select

    from core.models import Practice

    return db.session.scalar(select(Practice))


def test_a_worker_started_before_redis_delivers_once_redis_runs_and_survives_an_outage(
    setting, smtp
):
    app, redis, worker = setting
    book_now(app, "erste@example.org")
    until(lambda: worker.said("waiting for Redis"), what="the worker's waiting log line")
    assert worker.process.poll() is None  # it waits instead of exiting
    redis.start()
    until(lambda: smtp.to("erste@example.org"), what="the first confirmation")
    assert worker.said("Redis reachable again")

    redis.stop()  # the worker retries by itself, the periodic jobs wait for Redis again
    book_now(app, "zweite@example.org")
    redis.start()
    until(
        lambda: smtp.to("zweite@example.org"), timeout=90, what="the confirmation after the outage"
    )
    assert len(smtp.to("erste@example.org")) == 1  # nothing twice

    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=20) == 0


def test_a_worker_killed_with_sigkill_leaves_no_orphaned_child(setting):
    """Its periodic-jobs child and RQ's scheduler process both end with it."""
    _, redis, worker = setting
    redis.start()
    until(lambda: len(worker.children()) >= 2, what="the periodic-jobs and scheduler children")
    children = worker.children()
    worker.process.kill()
    worker.process.wait(timeout=10)
    until(lambda: all(_ended(child) for child in children), what="the children to end")


def _ended(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
