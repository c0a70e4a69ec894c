"""Start-up, configuration errors, the demo seed and the user command."""

import pytest
from sqlalchemy import func, select

from app import create_app
from core import demo
from core.models import Appointment, AppointmentType, Practice, Status, User


def table_counts(session):
    models = (Practice, Status, AppointmentType, Appointment, User)
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in models}


def test_demo_is_idempotent(runner, session, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "geheim-123")
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "/w/demo/" in first.output and demo.ADMIN_EMAIL in first.output
    assert "geheim-123" not in first.output
    counts = table_counts(session)
    second = runner.invoke(args=["demo"])
    assert "nothing changed" in second.output
    assert table_counts(session) == counts
    practice = session.scalar(select(Practice).where(Practice.slug == "demo"))
    assert practice.timezone == "Europe/Berlin" and practice.language == "de"
    assert len(practice.branches) == 2
    assert [t.name for t in practice.appointment_types] == [
        "Hörtest",
        "Beratung",
        "Batteriewechsel",
        "Gruppenschulung",
        "Hörgeräte-Anpassung",
    ]
    assert counts["Appointment"] > 0


def test_demo_without_password_prints_a_generated_one_once(runner, monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    assert "shown once" in runner.invoke(args=["demo"]).output
    assert "shown once" not in runner.invoke(args=["demo"]).output


def test_user_create_prompts_for_the_password_and_stores_a_hash(runner, session, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "x")
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=["user", "create", "Empfang@Demo.example", "--practice", "demo"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    user = session.scalar(select(User).where(User.email == "empfang@demo.example"))
    assert user.role == "staff" and "s3cret-pass" not in user.password_hash


def test_user_create_for_an_unknown_practice_fails_clearly(runner):
    result = runner.invoke(
        args=["user", "create", "a@b.de", "--practice", "nope"], input="pw\npw\n"
    )
    assert result.exit_code == 1
    assert "no practice with slug 'nope'" in result.output


def test_malformed_database_url_stops_with_one_line(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "not a url::")
    with pytest.raises(SystemExit) as stop:
        create_app()
    assert "DATABASE_URL" in str(stop.value) and "\n" not in str(stop.value)


def test_production_without_secret_key_stops(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as stop:
        create_app()
    assert "SECRET_KEY" in str(stop.value)


def test_demo_homepage_embeds_the_widget(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b'<iframe src="/w/demo/"' in page.data and b"/console/" in page.data


def test_console_login_page(client):
    page = client.get("/console/login")
    assert page.status_code == 200 and b'type="password"' in page.data
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
