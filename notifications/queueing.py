"""The outbox's RQ side: enqueue each pending row after its transaction commits, the periodic
dispatcher that re-enqueues due rows no job holds, and whether any worker is alive.

Enqueueing after commit (never before) means a job never looks for a row that does not exist
yet; if Redis is down the commit still stands and the dispatcher catches up later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker
from rq.job import Job, JobStatus
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from clock import utcnow
from core import outbox
from core.models import Notification, NotificationState
from extensions import db

JOB = "worker.deliver_notification"
HELD = (JobStatus.QUEUED, JobStatus.STARTED)
ONE_SECOND = timedelta(seconds=1)
_INFO_KEY = "outbox_to_enqueue"
log = logging.getLogger("termine.outbox")


def init_app(app: Flask) -> None:
    """Hook Flask-SQLAlchemy's sessions (once per process; the hooks find the app themselves)."""
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_flush", _collect):
        event.listen(session_class, "after_flush", _collect)
        event.listen(session_class, "after_commit", _enqueue_collected)
        event.listen(session_class, "after_rollback", _forget)


def job_id(notification_id: int) -> str:
    return f"outbox-{notification_id}"


def _collect(session: Session, _flush_context) -> None:
    """Remember rows that are new, or were set back to pending, in this transaction."""
    collected = session.info.setdefault(_INFO_KEY, {})
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Notification) or obj.state != NotificationState.PENDING:
            continue
        if obj in session.new or inspect(obj).attrs.state.history.has_changes():
            collected[obj.id] = obj.not_before


def _enqueue_collected(session: Session) -> None:
    collected = session.info.pop(_INFO_KEY, None) or {}
    collected.update(session.info.pop(outbox.WRITTEN, None) or ())  # bulk-inserted rows
    if collected:
        enqueue(collected.items())


def _forget(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)
    session.info.pop(outbox.WRITTEN, None)


def enqueue(rows: Iterable[tuple[int, datetime]]) -> bool:
    """One delivery job per (id, not_before), delayed to its time. False if Redis is down."""
    rows, now = list(rows), utcnow()
    queue: Queue = current_app.extensions["rq_queue"]
    options = _job_options(current_app.config)
    try:
        # One call per job: RQ cannot mix enqueue and enqueue_at in one Redis pipeline.
        for notification_id, not_before in rows:
            kwargs = {**options, "job_id": job_id(notification_id)}
            if not_before <= now:
                queue.enqueue(JOB, notification_id, **kwargs)
            else:  # RQ's schedule keeps whole seconds: never wake a job early
                queue.enqueue_at(not_before + ONE_SECOND, JOB, notification_id, **kwargs)
    except RedisError as error:
        log.warning(
            "outbox: Redis unavailable, the dispatcher will deliver later",
            extra={"fields": {"messages": len(rows), "error": type(error).__name__}},
        )
        return False
    return True


def _job_options(config) -> dict:
    """Timeout and RQ retries from config. The retry waits are the rows' backoff plus a second,
    because RQ's scheduler keeps whole seconds and must not wake a job before its row is due."""
    retries = max(config["RQ_RETRIES"] - 1, 0)
    base = timedelta(seconds=config["RQ_RETRY_DELAY"])
    intervals = [
        int((outbox.backoff(n, base) + ONE_SECOND).total_seconds()) for n in range(1, retries + 1)
    ]
    return {
        "job_timeout": config["RQ_JOB_TIMEOUT"],
        "retry": Retry(max=retries, interval=intervals) if retries else None,
        "result_ttl": 3600,
        "failure_ttl": 7 * 24 * 3600,
    }


def dispatch(session: Session, now: datetime) -> int:
    """Enqueue the due pending rows that no queued or running job holds; how many.

    Each run looks at no more than OUTBOX_DISPATCH_BATCH rows, oldest first, so a large
    backlog (Redis flushed under a full outbox) costs one bounded lock probe and one bounded
    Redis round trip per run instead of all of them at once; as workers send the oldest rows,
    the next runs reach the rest."""
    due = outbox.due(session, now, limit=current_app.config["OUTBOX_DISPATCH_BATCH"])
    if not due:
        session.rollback()
        return 0
    queue: Queue = current_app.extensions["rq_queue"]
    jobs = Job.fetch_many([job_id(i) for i in due], connection=queue.connection)
    unlocked = _unlocked(session, due)
    session.rollback()  # release the probe's locks; the jobs lock rows themselves
    orphans = [
        i
        for i, job in zip(due, jobs, strict=True)
        if not _held(job) or (job.get_status(refresh=False) == JobStatus.STARTED and i in unlocked)
    ]
    if orphans and not enqueue((i, now) for i in orphans):
        return 0
    return len(orphans)


def _unlocked(session: Session, ids: list[int]) -> set[int]:
    """Rows no delivery holds right now. A job RQ still calls "started" whose row is unlocked
    has died with its worker (SIGKILL, power loss): its row must be delivered again."""
    if session.get_bind().dialect.name != "postgresql":
        return set()  # SQLite runs one worker; RQ's own cleanup handles its dead jobs
    query = (
        select(Notification.id).where(Notification.id.in_(ids)).with_for_update(skip_locked=True)
    )
    return set(session.scalars(query))


def _held(job: Job | None) -> bool:
    return job is not None and job.get_status(refresh=False) in HELD


def take_queued(session: Session, now: datetime, limit: int, *, besides: int) -> list[int]:
    """The rest of a delivery batch: rows of the delivery jobs waiting next in the queue that
    are due and free, their jobs taken out of Redis so no other worker spends a job on them.

    Only rows that have a queued job join a batch (the dispatcher's bounded runs decide what
    is queued). A job is deleted only when it was still in the queue (LREM answered 1): one
    another worker has just taken stays with it, and its row leaves the batch. Should this
    worker die before it delivers a taken row, the row is pending without a job, and the
    dispatcher enqueues it again."""
    if limit <= 0:
        return []
    queue: Queue = current_app.extensions["rq_queue"]
    waiting = [_row_id(j) for j in queue.get_job_ids(0, 2 * limit)]
    candidates = [i for i in waiting if i is not None and i != besides]
    claimed = outbox.claim(session, candidates, now, limit)
    taken: list[int] = []
    if claimed:
        with queue.connection.pipeline() as pipe:
            for notification_id in claimed:
                pipe.lrem(queue.key, 1, job_id(notification_id))
            removed = pipe.execute()
            taken = [i for i, gone in zip(claimed, removed, strict=True) if gone]
            for notification_id in taken:
                pipe.delete(Job.key_for(job_id(notification_id)))
            pipe.execute()
    session.rollback()  # end the claim; each delivery locks its row itself
    return taken


def _row_id(queued_job_id: str | bytes) -> int | None:
    if isinstance(queued_job_id, bytes):
        queued_job_id = queued_job_id.decode()
    prefix, _, number = queued_job_id.partition("-")
    return int(number) if prefix == "outbox" and number.isdigit() else None


def worker_alive() -> bool:
    """Is any RQ worker registered? False when Redis is down (for the console's banner).

    Asked on every console page, so it uses its own connection with sub-second timeouts
    instead of the queue's (which waits seconds for a Redis that is down)."""
    probe = current_app.extensions.get("redis_probe")
    if probe is None:
        probe = Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=0.3, socket_timeout=0.5
        )
        current_app.extensions["redis_probe"] = probe
    try:
        return Worker.count(connection=probe) > 0
    except RedisError:
        return False
