"""`python worker.py --burst` processes against a given database, Redis and SMTP sink, the
way production runs them; shared by the integration tests and bench/outbox.py so that all
start the worker with the same environment and none drifts from what worker.py reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.services import REDIS_URL

ROOT = Path(__file__).resolve().parents[1]


def worker_env(
    database_url: str,
    smtp_port: int,
    *,
    secret_key: str = "test-secret-key",
    redis_url: str = REDIS_URL,
    **extra: str,
) -> dict[str, str]:
    """What a worker process reads: this database and Redis, mail to the SMTP sink, and the
    app's secret key (links in the mail must verify in the app under test)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "SECRET_KEY": secret_key,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def burst_process(env: dict[str, str], *, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """`python worker.py --burst` in its own process; pass stderr=PIPE to read its errors."""
    return subprocess.Popen(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait for a burst process started with stderr=PIPE; fail with its last errors."""
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode()[-2000:]
