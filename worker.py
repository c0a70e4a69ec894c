"""RQ worker entry point.

    python worker.py              worker + its scheduler (delayed jobs, retries) + periodic jobs
    python worker.py --burst      deliver everything due now, then exit (tests, cron-style use)
    python worker.py --scheduler  only the periodic jobs (one per installation, see deploy/)

Jobs are module-level functions taking ids; each opens its own app context, so it gets a
fresh database session. Exceptions propagate, so RQ's Retry and failed registry work.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.cron import CronScheduler

from app import create_app
from clock import utcnow
from core import privacy, reminders
from core.outbox import Delivery
from extensions import db
from notifications import delivery, queueing


def deliver_notification(notification_id: int) -> str:
    """Deliver the job's outbox row and, in the same batch, the rows of the next queued jobs
    (OUTBOX_BATCH); raise after a failed attempt at its own row so RQ retries it later."""
    with current_app.app_context():
        outcome = delivery.deliver_batch(notification_id)
    if outcome is Delivery.RETRY:
        raise delivery.DeliveryFailed(f"notification {notification_id}: attempt failed")
    return str(outcome)


def dispatch_outbox() -> int:
    """Re-enqueue due pending rows that no job holds (after a Redis flush, a lost job, …)."""
    with current_app.app_context():
        return queueing.dispatch(db.session, utcnow())


def anonymise_expired_requests() -> int:
    """GDPR retention: anonymise old cancelled, declined and never-linked requests."""
    with current_app.app_context():
        return privacy.anonymise_expired(db.session, utcnow())


def scan_reminders() -> int:
    """Queue the reminders due now (hourly; never twice for an appointment and time)."""
    with current_app.app_context():
        return reminders.scan(db.session, utcnow())


log = logging.getLogger("termine.worker")
RECONNECT_MAX = 30  # seconds between attempts to reach Redis, at most
PR_SET_PDEATHSIG = 1  # prctl(2)


def periodic_jobs(config) -> list[tuple]:
    """The periodic jobs: (function, seconds between runs). Each must be idempotent, since
    several schedulers may run. The dispatcher's interval bounds how late a message written
    while Redis was away leaves (OUTBOX_DISPATCH_SECONDS)."""
    return [
        (dispatch_outbox, config["OUTBOX_DISPATCH_SECONDS"]),
        (scan_reminders, 3600),
        (anonymise_expired_requests, 24 * 3600),
    ]


def run_periodic(redis_url: str, queue_name: str, jobs: list[tuple]) -> None:
    """The periodic jobs via RQ's cron scheduler (it enqueues them; the workers run them).

    It outlives a Redis outage: when Redis goes away the scheduler stops with an error, and
    this waits for Redis and starts it again, instead of leaving the process manager to
    notice a dead process minutes later."""
    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    while True:
        wait_for_redis(connection)
        scheduler = CronScheduler(connection=connection)
        for func, seconds in jobs:
            scheduler.register(func, queue_name, interval=seconds)
        try:
            scheduler.start()
            return  # asked to stop
        except RedisError as error:
            log.warning(
                "periodic jobs lost Redis", extra={"fields": _redis_fields(connection, error)}
            )


def die_with_parent() -> None:
    """Ask Linux to end this (forked) process when its parent dies, even by SIGKILL, so a
    killed worker leaves neither its periodic-jobs child nor RQ's scheduler process behind
    (elsewhere the process manager stops the whole group)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(0)


def wait_for_redis(connection: Redis) -> None:
    """Block until Redis answers, retrying with a growing pause up to RECONNECT_MAX
    seconds, one log line per attempt: a worker started before Redis, or cut off from it,
    delivers as soon as Redis is back, without anyone restarting it."""
    pause, waited = 1.0, False
    while True:
        try:
            connection.ping()
        except RedisError as error:
            fields = {**_redis_fields(connection, error), "retry_in_seconds": pause}
            log.warning("waiting for Redis", extra={"fields": fields})
            time.sleep(pause)
            pause, waited = min(pause * 2, RECONNECT_MAX), True
            continue
        if waited:
            log.info("Redis reachable again", extra={"fields": _redis_fields(connection)})
        return


def _redis_fields(connection: Redis, error: Exception | None = None) -> dict:
    """Where Redis is expected (host and port, never the URL: it may hold a password)."""
    kwargs = connection.connection_pool.connection_kwargs
    fields = {"redis": f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"}
    if error is not None:
        fields["error"] = type(error).__name__
    return fields


def serve(queue, *, burst: bool) -> None:
    """Deliver until stopped. Each (re)connection starts with a dispatcher run, so what was
    committed while Redis was away (rows without a job) leaves within seconds."""
    while True:
        if not burst:
            wait_for_redis(queue.connection)
        try:
            dispatch_outbox()
        except RedisError:
            continue  # gone again before the first job: wait once more
        db.session.remove()
        # Jobs run in this process (no fork per job): a delivery is short and I/O-bound, and
        # forking cost 2.5 times the job itself (bench/RESULTS.md). Each job still gets a
        # fresh session from its own app context; job timeouts still apply.
        worker = SimpleWorker([queue], connection=queue.connection)
        worker.work(with_scheduler=True, burst=burst)
        # RQ's work() also returns when it gives up on Redis; only a stop request ends us.
        if burst or getattr(worker, "_shutdown_requested_date", None) is not None:
            return
        log.warning("worker lost Redis", extra={"fields": _redis_fields(queue.connection)})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--burst", action="store_true", help="deliver what is due, then exit")
    mode.add_argument("--scheduler", action="store_true", help="run only the periodic jobs")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        queue = app.extensions["rq_queue"]
        redis_url, queue_name = app.config["REDIS_URL"], app.config["RQ_QUEUE"]
        jobs = periodic_jobs(app.config)
        if args.scheduler:
            run_periodic(redis_url, queue_name, jobs)
            return 0
        if args.burst:
            try:
                queue.connection.ping()
            except RedisError:
                log.error(
                    "Redis is not reachable", extra={"fields": _redis_fields(queue.connection)}
                )
                return 1
        else:
            os.register_at_fork(after_in_child=die_with_parent)  # ours and RQ's children
            periodic = multiprocessing.Process(
                target=run_periodic, args=(redis_url, queue_name, jobs), daemon=True
            )
            periodic.start()
        serve(queue, burst=args.burst)
    return 0


if __name__ == "__main__":
    import worker  # the jobs' module must be `worker`, not `__main__`, for RQ to find them

    sys.exit(worker.main(sys.argv[1:]))
