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


def fresh_redis(url: str) -> None:
    """Empty the benchmark's own Redis database: no cached page or version from a last run."""
    Redis.from_url(url).flushdb()


@contextmanager
def gunicorn(env: dict[str, str], *, port: int, workers: int | None = None) -> Iterator[str]:
    """The app under gunicorn — with the production settings of deploy/gunicorn.conf.py
    (2 × cores + 1 workers, 2 threads each) unless `workers` asks for that many sync
    workers; yields its base URL once /healthz answers (or after ten seconds), and stops
    the server on leaving."""
    if workers is None:
        options = ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        env = {**env, "BIND": f"127.0.0.1:{port}"}
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
