"""The app as the HTTP benchmarks measure it: a fresh PostgreSQL database with the demo
practice, served by gunicorn on a local port.

Shared by bench/load_booking.py and bench/week_page.py, so both measure the same set-up:
the schema through the migrations (as deployed, not create_all) and the demo seed.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
# Two active appointments of one resource that overlap (a group session's attendees aside).
OVERLAPS = """
SELECT count(*) FROM appointment a JOIN appointment b
  ON a.resource_id = b.resource_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
JOIN status sa ON sa.id = a.status_id JOIN status sb ON sb.id = b.status_id
JOIN appointment_type t ON t.id = a.type_id
WHERE sa.kind NOT IN ('cancelled', 'declined') AND sb.kind NOT IN ('cancelled', 'declined')
  AND NOT (t.capacity > 1 AND a.type_id = b.type_id AND a.start = b.start)
"""


def fresh_demo_database(env: dict[str, str]) -> None:
    """Drop and recreate the database env's DATABASE_URL names, migrate it, seed the demo."""
    url = make_url(env["DATABASE_URL"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo"], cwd=ROOT, env=env, check=True, capture_output=True)


def insert_appointments(conn, rows: list[dict]) -> None:
    """Appointments of practice 1 straight into the table (thousands in one statement): each
    row names its resource `r`, branch `b`, type `t`, status `s`, `start`, `end` and whether
    it `holds` its slot (an active one does; the exclusion constraint then checks it)."""
    conn.execute(
        text(
            "INSERT INTO appointment (practice_id, branch_id, resource_id, type_id, "
            'status_id, start, "end", busy_start, busy_end, holds_slot, slot_key, language, '
            "source, attendees, req_salutation, req_first_name, req_last_name, req_email, "
            "req_phone, req_message, ics_uid, ics_sequence, blocked, created_at, updated_at) "
            "VALUES (1, :b, :r, :t, :s, :start, :end, :start, :end, :holds, :key, 'de', "
            "'online', 1, '', 'Bench', 'Mark', 'b@example.org', '+4915100000000', '', :uid, "
            "0, false, now(), now())"
        ),
        [row | {"uid": (uid := str(uuid.uuid4())), "key": f"one:{uid}"} for row in rows],
    )


def fresh_redis(url: str) -> None:
    """Empty the benchmark's own Redis database: no cached page or version from a last run."""
    Redis.from_url(url).flushdb()


@contextmanager
def gunicorn(
    env: dict[str, str], *, port: int, workers: int | None = None, recycle: bool = True
) -> Iterator[str]:
    """The app under gunicorn — with the production settings of deploy/gunicorn.conf.py
    (2 × cores + 1 workers, 2 threads each) unless `workers` asks for that many sync
    workers; yields its base URL once /healthz answers (or after ten seconds), and stops
    the server on leaving. `recycle=False` turns off the leak guard (a worker restarts
    after ~2,000 requests): at 1,000 requests/s it restarts each worker every few seconds,
    and the restarts, not the routes, would decide a throughput ratio."""
    if workers is None:
        options = ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        env = {**env, "BIND": f"127.0.0.1:{port}"}
        if not recycle:
            env["GUNICORN_CMD_ARGS"] = "--max-requests 0"
    else:
        options = ["-w", str(workers), "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *options, "app:create_app()"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait()
