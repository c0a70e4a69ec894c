"""Fixtures shared by the console's test modules."""

import pytest
from werkzeug.security import generate_password_hash

from core import demo
from tests.web.staff import NOW, StaffActions


@pytest.fixture
def console(app, session, redis_conn):
    app.config["CLOCK"] = lambda: NOW
    demo.seed(session, now=NOW, admin_password_hash=generate_password_hash("pw"))
    client = app.test_client()
    StaffActions(client).login()
    return client
