"""A running product for browser and concurrency tests: gunicorn on a real database,
the demo practice seeded, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import create_engine, text

from core import closures, demo
from harness.services import REDIS_URL
from harness.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-password-123"


@dataclass
class LiveServer:
    url: str
    env: dict
    process: subprocess.Popen = field(repr=False)

    def flask(self, *args: str) -> str:
        """Run a flask CLI command against the server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def stop(self) -> None:
        """Quick shutdown (gunicorn's SIGINT: no waiting for keep-alive connections); a
        server that does not end within 30 s, as on a loaded machine, is killed."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def worker_burst(self) -> None:
        subprocess.run(
            [sys.executable, "worker.py", "--burst"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )


def start_server(
    database_url: str, tmp_path: Path, extra_env: dict | None = None, workers: int = 3
) -> LiveServer:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "e2e-secret",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "MAIL_DIR": str(tmp_path / "mail"),
        "SMS_DIR": str(tmp_path / "sms"),
        "DEMO_ADMIN_PASSWORD": DEMO_PASSWORD,
        "APP_ENV": "development",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", env, process)
    server.flask("demo")
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(server.url + "/w/demo/", timeout=2):
                return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gunicorn did not come up") from None
            time.sleep(0.1)


@pytest.fixture
def live_server(database_url, tmp_path):
    server = start_server(database_url, tmp_path)
    yield server
    server.stop()


FAST = {"WIDGET_MIN_FILL_SECONDS": "0", "BOOKING_LIMIT_PER_IP": "1000"}


@pytest.fixture
def mail_server(database_url, tmp_path, redis_conn, smtp):
    """The product delivering to the test's SMTP sink, without the widget's fill delay and
    booking limit (the mail tests book again and again)."""
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
    server = start_server(database_url, tmp_path, {**FAST, **mail}, workers=2)
    yield server
    server.stop()


def calendar_of(message) -> tuple[str, Calendar]:
    """The METHOD and the parsed calendar of a mail's Termin.ics part."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is missing; scripts/test installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_without_js(browser):
    """A customer whose browser runs no JavaScript at all."""
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser):
    """A page for axe-core: CSP is bypassed only so that the checker itself can be injected."""
    context = browser.new_context(bypass_csp=True, locale="de-DE")
    yield context.new_page()
    context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.x A/AA rules (up to 2.2) on the current page."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return result


def fill_details(
    page, first_name="Erika", last_name="Mustermann", email="erika@example.org", phone="030 1234567"
) -> None:
    """Fill the widget's booking form as a customer would, consent included."""
    page.get_by_label("Vorname").fill(first_name)
    page.get_by_label("Nachname").fill(last_name)
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Telefon").fill(phone)
    page.get_by_label("Ich bin einverstanden").check()


def book_in_widget(page, base_url: str, kind: str = "Hörtest", slot: int = 0, **details) -> None:
    """Choose the kind (then Filiale Mitte, if the kind is offered at more than one branch),
    take the slot-th free time and book it."""
    page.goto(base_url + "/w/demo/")
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Weiter").click()
    if page.get_by_label("Filiale Mitte").count():
        page.get_by_label("Filiale Mitte").check()
        page.get_by_role("button", name="Freie Termine anzeigen").click()
    page.locator("table.grid a").nth(slot).click()
    fill_details(page, **details)
    page.get_by_role("button", name="Verbindlich buchen").click()


def first_closed_day(database_url: str) -> date:
    """The demo's first closed day at Filiale Mitte: a Berlin holiday in the next weeks, or
    the closing day the demo adds when none is near."""
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    last = today + timedelta(weeks=demo.HOLIDAY_WEEKS)
    holidays = closures.statutory("DE", demo.STATE, today, last, "de")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        own = conn.execute(text("SELECT day FROM branch_day WHERE NOT is_open")).scalars().all()
    engine.dispose()
    return min([*holidays, *(d if isinstance(d, date) else date.fromisoformat(d) for d in own)])
