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

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]


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


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, port: int) -> Iterator[str]:
    """The app under gunicorn with sync workers; yields its base URL once /healthz answers
    (or after ten seconds), and stops the server on leaving."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
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
