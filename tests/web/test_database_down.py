"""With the database unreachable, widget and console answer 503 pages, never a traceback."""

from __future__ import annotations

import pytest

from harness.services import REDIS_URL
from harness.smtp import free_port

PHONE = "+49 30 1234567"  # the demo's Filiale Mitte


@pytest.fixture
def down(tmp_path, redis_conn):
    """The app pointed at a PostgreSQL port where nothing listens."""
    from app import create_app, db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://root@127.0.0.1:{free_port()}/x",
            "REDIS_URL": REDIS_URL,
            "MAIL_DIR": str(tmp_path / "mail"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def assert_unavailable(response):
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "Traceback" not in response.text and "psycopg" not in response.text
    assert "<html" in response.text


def test_the_widget_asks_to_call_the_branch_in_the_practices_language(widget, down):
    assert widget.get("/w/demo/").status_code == 200  # remembers the practice's card
    page = down.get("/w/demo/week?type=1&branch=1", headers={"Accept-Language": "en"})
    assert_unavailable(page)
    assert "Hörakustik Sonnenschein" in page.text and PHONE in page.text
    assert 'href="/w/demo/">Zurück zur Buchungsseite</a>' in page.text
    assert "rufen Sie uns an" in page.text  # the practice's language, not the browser's
    assert "+49 30 7654321" not in page.text  # only the branch the customer chose
    assert (
        "frame-ancestors 'self' https://www.hoerakustik-sonnenschein.de"
        in page.headers["Content-Security-Policy"]
    )
    english = down.get("/w/demo/?lang=en")
    assert_unavailable(english)
    assert "call us" in english.text
    assert PHONE in english.text and "+49 30 7654321" in english.text


def test_an_unknown_practice_gets_the_page_without_a_phone(down):
    page = down.get("/w/nowhere/", headers={"Accept-Language": "de"})
    assert_unavailable(page)
    assert "Die Buchung ist gerade nicht möglich" in page.text


def test_the_console_answers_503_in_its_own_look(down):
    with down.session_transaction() as cookie:
        cookie["_user_id"] = "1"
        cookie["_fresh"] = True
    page = down.get("/console/inbox", headers={"Accept-Language": "de"})
    assert_unavailable(page)
    assert "Die Datenbank ist gerade nicht erreichbar" in page.text
    assert (
        "console.css" in page.text
        and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    )


def test_a_login_while_the_database_is_down_is_a_503(down):
    page = down.post("/console/login", data={"email": "a@b.example", "password": "x"})
    assert_unavailable(page)
