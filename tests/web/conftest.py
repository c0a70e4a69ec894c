"""Fixtures shared by the web test modules."""

from datetime import UTC, datetime

import pytest

from core import demo
from tests.web.staff import NOW, PW_HASH, StaffActions

# Sunday 22 November 2026, 10:00 UTC: the widget's week grid opens on Monday 23 November.
WIDGET_NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def console(app, session, redis_conn):
    app.config["CLOCK"] = lambda: NOW
    demo.seed(session, now=NOW, admin_password_hash=PW_HASH)
    client = app.test_client()
    StaffActions(client).login()
    return client


@pytest.fixture
def widget(app, session, redis_conn):
    app.config.update(CLOCK=lambda: WIDGET_NOW, WIDGET_MIN_FILL_SECONDS=0)
    practice, _ = demo.seed(session, now=WIDGET_NOW, admin_password_hash="x")
    practice.embed_origins = "https://www.hoerakustik-sonnenschein.de"
    session.commit()
    return app.test_client()
