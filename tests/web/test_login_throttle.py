"""Console login limits: only failures count, an account's wait grows but stays capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import demo, login_throttle
from tests.web.staff import PW_HASH

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(app, session, redis_conn):
    """The app's clock as a list whose first item tests move forward."""
    moment = [NOW]
    app.config["CLOCK"] = lambda: moment[0]
    demo.seed(session, now=NOW, admin_password_hash=PW_HASH)
    return moment


def login(app, password="pw", address="192.0.2.1", email=demo.ADMIN_EMAIL):
    return app.test_client().post(
        "/console/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_eleven_successful_logins_in_fifteen_minutes_all_work(app, clock):
    for minute in range(11):
        clock[0] = NOW + timedelta(minutes=minute)
        assert login(app).status_code == 302


def test_a_success_clears_the_accounts_failures(app, clock):
    for _ in range(9):
        assert login(app, password="wrong").status_code == 401
    assert login(app).status_code == 302
    for _ in range(9):
        assert login(app, password="wrong").status_code == 401
    assert login(app).status_code == 302


def test_a_strangers_wrong_passwords_delay_the_real_user_only_briefly(app, clock):
    for _ in range(10):
        assert login(app, password="wrong", address="203.0.113.9").status_code == 401
    refused = login(app, address="198.51.100.7")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= login_throttle.MAX_DELAY
    assert "Bitte versuchen Sie es in 30 Sekunden erneut" in refused.text
    clock[0] = NOW + timedelta(seconds=wait)
    assert login(app, address="198.51.100.7").status_code == 302


def test_a_wrong_password_burst_waits_longer_after_each_failure_up_to_the_cap(app, clock):
    for _ in range(10):
        login(app, password="wrong")
    waits = []
    for _ in range(8):
        refused = login(app, password="wrong")  # while waiting, not even checked
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock[0] += timedelta(seconds=waits[-1])
        assert login(app, password="wrong").status_code == 401
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert "15 Minuten" in login(app).text


def test_one_address_failing_for_many_accounts_is_stopped_there_only(app, clock):
    for n in range(40):
        login(app, password="wrong", email=f"guess{n}@demo.example", address="203.0.113.9")
    assert login(app, address="203.0.113.9").status_code == 429
    assert login(app, address="198.51.100.7").status_code == 302
