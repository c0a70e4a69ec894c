"""Where the tests and benchmarks find PostgreSQL and Redis (TEST_DATABASE_URL and
TEST_REDIS_URL override the machine's defaults).

Under `pytest -n` (pytest-xdist) each test process gets a database and a Redis database of
its own, named after the process (`test_gw0`, Redis db 14, …), so the processes never empty
each other's tables."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

_PG = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … or "" without -n


def _per_worker_pg(url: str) -> str:
    if not _WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{_WORKER}").render_as_string(hide_password=False)


def _per_worker_redis(url: str) -> str:
    if not _WORKER:
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{int(db or 0) - 1 - int(_WORKER.removeprefix('gw'))}"


PG_URL = _per_worker_pg(_PG)
REDIS_URL = _per_worker_redis(_REDIS)
