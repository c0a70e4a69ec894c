"""Shared fixtures: the app on both database backends, a fixed clock, the real Redis.

Backends: every test that takes `app` (or `session`) runs on SQLite and on the machine's
PostgreSQL, except tests marked `postgresql_only` (the browser tests: what they add over the
web tests is the browser, not the database). Set TEST_DATABASE_URL / TEST_REDIS_URL to point
elsewhere. Under CI=true an unreachable PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer

import pytest
from jinja2 import BytecodeCache
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.models import Base
from harness.services import PG_URL, REDIS_URL
from harness.sms_gateway import Gateway
from harness.smtp import SmtpSink, free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def unavailable(what: str, error: Exception) -> None:
    """Skip locally, fail in CI: a green CI run must have used the real service."""
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_engine():
    try:
        _create_database_if_missing(PG_URL)
        engine = create_engine(PG_URL, pool_pre_ping=True)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001 - any connection failure means "not reachable"
        unavailable("PostgreSQL", error)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _create_database_if_missing(url: str) -> None:
    """The per-process databases of `pytest -n` (harness/services.py) appear on first use."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("select 1 from pg_database where datname = :name"),
                {"name": target.database},
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An SQLite file with the schema, created once; each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


# Every sequence back to 1, as TRUNCATE … RESTART IDENTITY would (tests may name ids).
_RESTART_SEQUENCES = text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = 'public'"
)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A clean database per test: a copy of the SQLite template, or the emptied PostgreSQL
    schema. DELETE in dependency order is 25 times faster than TRUNCATE on small tables."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("pg_engine")
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(_RESTART_SEQUENCES)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def redis_conn():
    conn = Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except Exception as error:  # noqa: BLE001
        unavailable("Redis", error)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def now() -> datetime:
    """Monday, 23 November 2026, 08:00 UTC (09:00 in Berlin)."""
    return datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class _CompiledTemplates(BytecodeCache):
    """Each test builds a new app; this keeps Jinja from compiling every template again."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(database_url, tmp_path):
    from app import create_app
    from extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": REDIS_URL,
            "MAIL_DIR": str(tmp_path / "mail"),
            "SMS_DIR": str(tmp_path / "sms"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.jinja_env.bytecode_cache = _TEMPLATES
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    from extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_backend_counts: Counter[str] = Counter()


def pytest_collection_modifyitems(config, items):
    """Drop the SQLite run of tests marked `postgresql_only` (reported as deselected)."""
    kept, dropped = [], []
    for item in items:
        only_pg = item.get_closest_marker("postgresql_only") is not None
        on_sqlite = (
            getattr(item, "callspec", None) and item.callspec.params.get("database_url") == "sqlite"
        )
        (dropped if only_pg and on_sqlite else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for backend in BACKENDS:
            if f"[{backend}" in report.nodeid or f"-{backend}" in report.nodeid:
                _backend_counts[backend] += 1


def pytest_terminal_summary(terminalreporter):
    counts = ", ".join(f"{_backend_counts[b]} on {b}" for b in BACKENDS)
    terminalreporter.write_line(f"database-backed tests passed: {counts}")


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def gateway():
    """The local HTTP SMS gateway, recording into Gateway.received."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Gateway)
    Gateway.received, Gateway.answer = [], (200, b'{"ok": true}')
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
