"""RQ worker entry point.

    python worker.py              worker + its scheduler (delayed jobs, retries) + periodic jobs
    python worker.py --burst      deliver everything due now, then exit (tests, cron-style use)
    python worker.py --scheduler  only the periodic jobs (one per installation, see deploy/)

Jobs are module-level functions taking ids; each opens its own app context, so it gets a
fresh database session. Exceptions propagate, so RQ's Retry and failed registry work.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys

from flask import current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker
from rq.cron import CronScheduler

from app import create_app
from clock import utcnow
from core import privacy, reminders
from core.outbox import Delivery
from extensions import db
from notifications import delivery, queueing


def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row; raise after a failed attempt so RQ retries it later."""
    with current_app.app_context():
        outcome = delivery.deliver(notification_id)
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


# Periodic jobs: (function, seconds between runs). Each must be idempotent, since several
# schedulers may run.
PERIODIC = [
    (dispatch_outbox, 60),
    (scan_reminders, 3600),
    (anonymise_expired_requests, 24 * 3600),
]


def run_periodic(redis_url: str, queue_name: str) -> None:
    """The periodic jobs via RQ's cron scheduler (it enqueues them; the workers run them)."""
    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    for func, seconds in PERIODIC:
        scheduler.register(func, queue_name, interval=seconds)
    scheduler.start()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--burst", action="store_true", help="deliver what is due, then exit")
    mode.add_argument("--scheduler", action="store_true", help="run only the periodic jobs")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        queue = app.extensions["rq_queue"]
        try:
            queue.connection.ping()
        except RedisConnectionError:
            print(f"worker: Redis is not reachable at {app.config['REDIS_URL']}", file=sys.stderr)
            return 1
        redis_url, queue_name = app.config["REDIS_URL"], app.config["RQ_QUEUE"]
        if args.scheduler:
            run_periodic(redis_url, queue_name)
            return 0
        if args.burst:
            dispatch_outbox()
        else:
            periodic = multiprocessing.Process(
                target=run_periodic, args=(redis_url, queue_name), daemon=True
            )
            periodic.start()
        db.session.remove()
        # Jobs run in this process (no fork per job): a delivery is short and I/O-bound, and
        # forking cost 2.5 times the job itself (bench/RESULTS.md). Each job still gets a
        # fresh session from its own app context; job timeouts still apply.
        worker = SimpleWorker([queue], connection=queue.connection)
        worker.work(with_scheduler=True, burst=args.burst)
    return 0


if __name__ == "__main__":
    import worker  # the jobs' module must be `worker`, not `__main__`, for RQ to find them

    sys.exit(worker.main(sys.argv[1:]))
