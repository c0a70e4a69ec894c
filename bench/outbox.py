"""Outbox throughput: N due confirmation emails, W `python worker.py --burst` processes, a local
SMTP sink (aiosmtpd in this process). Prints messages per second and appends a section to
bench/RESULTS.md.

    .venv/bin/python bench/outbox.py [--messages 1000] [--workers 2]

Uses BENCH_DATABASE_URL (PostgreSQL; its schema is dropped and recreated!) and BENCH_REDIS_URL
(flushed). Timing runs from starting the workers until the last one exits; every row must
then be sent exactly once, or the run fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import demo, outbox  # noqa: E402
from core.models import Base, Notification, NotificationState  # noqa: E402
from harness.appointments import book  # noqa: E402
from harness.processes import burst_process, worker_env  # noqa: E402
from harness.smtp import SmtpSink  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test_notify"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def prepare(messages: int, smtp_port: int) -> dict:
    """A fresh schema with the demo practice and `messages` due confirmation rows, enqueued."""
    engine = create_engine(DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
    Redis.from_url(REDIS_URL).flushdb()
    env = worker_env(DATABASE_URL, smtp_port, secret_key="bench-secret", redis_url=REDIS_URL)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")})
    from app import create_app
    from extensions import db

    app = create_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port})
    with app.app_context():
        now = datetime.now(UTC)
        practice, _ = demo.seed(db.session, now=now, admin_password_hash="x")
        appointment = book(db.session, practice, now, commit=False)
        db.session.query(Notification).delete()
        for i in range(messages):
            outbox.add(
                db.session, appointment, outbox.Kind.CONFIRMATION, f"k{i}@example.org", now=now
            )
        db.session.commit()  # the after-commit hook enqueues one job per row
        db.engine.dispose()
    return env


def run(messages: int, workers: int) -> float:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        env = prepare(messages, sink.port)
        started = time.perf_counter()
        processes = [burst_process(env) for _ in range(workers)]
        for process in processes:
            if process.wait() != 0:
                raise SystemExit("a worker failed")
        elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    check(messages, sink)
    return elapsed


def check(messages: int, sink: SmtpSink) -> None:
    recipients = [str(m["To"]) for m in sink.messages]
    if len(recipients) != messages or len(set(recipients)) != messages:
        raise SystemExit(f"expected {messages} distinct messages, got {len(recipients)}")
    check_table(messages)


def check_table(messages: int) -> None:
    """Every row of the run is marked sent."""
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        sent = conn.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.state == NotificationState.SENT)
        )
    engine.dispose()
    if sent != messages:
        raise SystemExit(f"expected {messages} rows sent, found {sent}")


def profile(messages: int) -> str:
    """One RQ worker in this process with timers around each stage (bench/_stages.py); mail
    goes to an aiosmtpd process that discards it, so the sink takes no time from the worker."""
    import socket
    import subprocess

    from _stages import Stages
    from rq import SimpleWorker

    from harness.smtp import free_port

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        + ["-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        _wait_for_port(socket, port)
        prepare(messages, port)
        import worker  # noqa: F401 - the jobs' module, wrapped by the stage timers
        from app import create_app
        from extensions import db

        app = create_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port})
        stages = Stages()
        with app.app_context():
            stages.install(db.engine)
            queue = app.extensions["rq_queue"]
            started = time.perf_counter()
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
            wall = time.perf_counter() - started
            stages.uninstall()
            db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait()
    check_table(messages)
    return stages.table(messages, wall)


def _wait_for_port(socket, port: int, timeout: float = 10) -> None:
    """Until the sink process accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--profile", action="store_true", help="time each stage in one in-process worker"
    )
    args = parser.parse_args()
    if args.profile:
        print(profile(args.messages))
        return
    elapsed = run(args.messages, args.workers)
    rate = args.messages / elapsed
    print(f"{args.messages} messages, {args.workers} workers: {elapsed:.1f} s, {rate:.1f} msg/s")
    with open(ROOT / "bench" / "RESULTS.md", "a") as results:
        results.write(
            f"\n## Outbox throughput ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n"
            f"Machine: 2 cores, 24 GiB, Debian, Python {platform.python_version()}; "
            "PostgreSQL and Redis local; SMTP sink: aiosmtpd in the benchmark process.\n\n"
            f"Command: `.venv/bin/python bench/outbox.py --messages {args.messages} "
            f"--workers {args.workers}`\n\n"
            f"- {args.messages} due confirmation emails (multipart + Termin.ics), "
            f"{args.workers} × `python worker.py --burst` (RQ `SimpleWorker`, jobs in-process)\n"
            f"- {elapsed:.1f} s from starting the workers to the last one exiting: "
            f"**{rate:.1f} messages/second**; every row sent exactly once\n"
        )


if __name__ == "__main__":
    main()
