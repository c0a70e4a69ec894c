"""Where the tests and benchmarks find PostgreSQL and Redis (TEST_DATABASE_URL and
TEST_REDIS_URL override the machine's defaults)."""

from __future__ import annotations

import os

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
