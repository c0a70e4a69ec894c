"""Every widget page, in German and English, passes axe (WCAG 2.2 AA) and the W3C HTML
checker (vnu) with 0 findings and does not scroll sideways at 320 px (issue 13).

The list of pages is checked against the app's URL map: a GET route of the widget blueprint
with no page here fails the test, so a new page cannot be forgotten. The appointments, the
waiting-list offer and the please-confirm request behind the token pages are written into
the live server's database by an app of the test's own (same database, same secret), so
the browser only does what a customer does. The server's minimum fill time is an hour, so
that a submitted form is the "too fast" page; no booking here goes through the form.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.e2e.conftest import AXE, ROOT, axe_violations, first_closed_day, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]
BERLIN = ZoneInfo("Europe/Berlin")
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SLOW = {"WIDGET_MIN_FILL_SECONDS": "3600", "BOOKING_LIMIT_PER_IP": "1000"}
WEEK = "/w/demo/week?type=1&branch=1&resource=1"
# GET routes of the widget that are no HTML page, and why.
NOT_PAGES = {"widget.ics": "the Termin.ics calendar file"}


@pytest.fixture
def server(database_url, tmp_path, redis_conn):
    server = start_server(database_url, tmp_path, SLOW, workers=2)
    yield server
    server.stop()


@pytest.fixture
def app(server):
    """An app on the server's database and secret: it writes what the token pages show."""
    from app import create_app

    keys = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BASE_URL", "APP_ENV")
    app = create_app({k: server.env[k] for k in keys})
    with app.app_context():
        yield app


def widget_get_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("widget.") and "GET" in (rule.methods or ())
    }


class Checker:
    """Visits pages at 320 px: axe and the sideways check at once, the HTML (as served) kept
    for one vnu run at the end."""

    def __init__(self, page, out: Path, app):
        self.page, self.out, self.app = page, out, app
        self.documents: list = []
        self.seen: dict[str, str] = {}  # file name -> URL
        self.endpoints: set[str] = set()
        self.problems: list = []
        page.on("response", self._keep)

    def _keep(self, response) -> None:
        if response.request.is_navigation_request() and response.frame == self.page.main_frame:
            self.documents.append(response)

    def __call__(self, label: str, url: str | None = None) -> None:
        if url:
            self.page.goto(url)
        document = self.documents[-1]
        name = f"{len(self.seen):02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.html"
        (self.out / name).write_bytes(document.body())
        self.seen[name] = f"{label}: {self.page.url}"
        self.endpoints.add(self._endpoint(document.url))
        found = axe_violations(self.page)
        if found:
            self.problems.append((label, self.page.url, found))
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            self.problems.append((label, self.page.url, f"scrollWidth {width}"))

    def _endpoint(self, url: str) -> str:
        adapter = self.app.url_map.bind("127.0.0.1")
        return adapter.match(urlsplit(url).path, method="GET")[0]

    def vnu(self) -> list[dict]:
        result = subprocess.run(
            ["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", str(self.out)],
            capture_output=True,
            text=True,
            check=True,
        )
        messages = json.loads(result.stderr or result.stdout)["messages"]
        return [
            {"page": self.seen[Path(urlsplit(m["url"]).path).name], "message": m["message"]}
            for m in messages
        ]


def free_starts(page, base: str, lang: str) -> list[datetime]:
    page.goto(f"{base}{WEEK}&lang={lang}")
    hrefs = page.locator("table.grid a").evaluate_all("els => els.map(e => e.href)")
    walls = [datetime.fromisoformat(parse_qs(urlsplit(h).query)["start"][0]) for h in hrefs]
    return [w if w.tzinfo else w.replace(tzinfo=BERLIN) for w in walls]


def age_the_form(page, app) -> None:
    """The form as if opened two hours ago: its token, re-signed with an earlier issue time
    (the server's minimum fill time makes every other submit a fast one)."""
    from core import tokens

    field = page.locator("input[name=token]")
    secret, purpose = app.config["SECRET_KEY"], tokens.Purpose.BOOKING_FORM
    claims = tokens.read(secret, purpose, field.get_attribute("value"), max_age=3600)
    aged = tokens.sign(secret, purpose, {**claims, "i": claims["i"] - 7200})
    field.evaluate("(e, v) => { e.value = v }", aged)


def setup_appointments(app, starts: list[datetime], lang: str) -> dict:
    """Three appointments of one customer in `lang` (move, wait, confirm) at late free times."""
    import links
    from core import coordination
    from core.models import Customer, Practice
    from extensions import db
    from harness.appointments import book

    practice = db.session.scalar(select(Practice).where(Practice.slug == "demo"))
    now = datetime.now().astimezone()
    made = [
        book(db.session, practice, now, start=s, email=f"pages.{lang}@example.org")
        for s in starts[-3:]
    ]
    for appointment in made:
        appointment.language = lang
    customer = Customer(
        practice_id=practice.id,
        first_name="Erika",
        last_name="Check",
        email=f"pages.{lang}@example.org",
        created_at=now,
    )
    db.session.add(customer)
    db.session.flush()
    made[2].customer_id = customer.id
    db.session.commit()
    request = coordination.create(
        db.session,
        [made[2]],
        recipients=customer.email,
        allow_decline=True,
        message="Wie telefonisch besprochen.",
        now=now,
    )
    db.session.commit()
    move, wait, confirm = made
    return {
        "move": move,
        "wait": wait,
        "done": links.external_url(
            "widget.done", {"slug": "demo", "token": links.customer_token(move)}
        ),
        "accept": links.confirm_url(request, coordination.Action.ACCEPT),
        "decline": links.confirm_url(request, coordination.Action.DECLINE),
    }


def offer_links(app, appointment, start: datetime) -> tuple[str, str]:
    """An open offer of `start` (earlier) to the waiting appointment, and one someone else took."""
    import links
    from core import waitlist
    from core.models import OfferState, WaitlistOffer
    from extensions import db

    db.session.expire_all()
    entry = waitlist.entry_of(db.session, appointment.id)
    now = datetime.now().astimezone()
    urls = []
    for state in (OfferState.OPEN, OfferState.GONE):
        offer = WaitlistOffer(
            practice_id=appointment.practice_id,
            entry_id=entry.id,
            resource_id=appointment.resource_id,
            start=start,
            end=start + (appointment.end - appointment.start),
            expires_at=now + timedelta(hours=6),
            state=state,
            created_at=now,
        )
        db.session.add(offer)
        db.session.commit()
        urls.append(links.offer_url(offer))
    return urls[0], urls[1]


def set_practice(app, **values) -> None:
    from core.models import Practice
    from extensions import db

    practice = db.session.scalar(select(Practice).where(Practice.slug == "demo"))
    for key, value in values.items():
        setattr(practice, key, value)
    db.session.commit()


def submit(page) -> None:
    page.locator("main button[type=submit]").first.click()


def check_language(check, app, base: str, lang: str) -> None:
    import links
    from core.models import Practice
    from extensions import db

    page = check.page
    q = f"lang={lang}"
    check("entry", f"{base}/w/demo/?{q}")
    check("kind step, nothing chosen", f"{base}/w/demo/where?{q}")
    check("branch step", f"{base}/w/demo/where?type=2&branch=2&{q}")
    check("week", f"{base}{WEEK}&{q}")
    check("week, 30-minute type", f"{base}/w/demo/week?type=1&branch=1&{q}")
    check("week out of range", f"{base}/w/demo/week?type=1&branch=1&week=2020-01-06&{q}")
    closed = first_closed_day(app.config["SQLALCHEMY_DATABASE_URI"])
    check("week with a closed day", f"{base}/w/demo/week?type=1&branch=1&week={closed}&{q}")
    assert page.locator(".grid .closed").count() >= 1
    starts = free_starts(page, base, lang)
    page.locator("table.grid a").first.click()
    check("form")
    submit(page)
    check("form, too fast")
    age_the_form(page, app)
    for name in ("first_name", "last_name", "email", "phone"):
        page.locator(f"input[name={name}]").fill("")
    page.locator("input[name=consent]").uncheck()
    submit(page)
    check("form, empty submit")
    page.locator("input[name=first_name]").fill("Erika")
    page.locator("input[name=last_name]").fill("Mustermann")
    page.locator("input[name=email]").fill("erika@example.org")
    page.locator("input[name=phone]").fill("030 1234567")
    page.locator("input[name=consent]").check()
    submit(page)
    check("form, filled but too fast")
    made = setup_appointments(app, starts, lang)
    move, wait = made["move"], made["wait"]
    wall = move.start.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")
    taken = f"type=1&branch=1&resource={move.resource_id}&start={wall}"
    check("form, time just taken", f"{base}/w/demo/book?{taken}&{q}")
    check("done", made["done"])
    check("reschedule week", links.reschedule_url(move, external=True))
    page.locator("table.grid a").first.click()
    check("reschedule confirm")
    submit(page)
    check("reschedule done")
    check("waiting list", links.waitlist_url(wait, external=True))
    submit(page)
    check("waiting list joined")
    claim, gone = offer_links(app, wait, starts[2])
    check("offer gone", gone)
    check("offer", claim)
    submit(page)
    check("offer taken")
    check("coordination accept", made["accept"])
    check("coordination decline", made["decline"])
    submit(page)
    check("coordination declined")
    cancel = links.cancel_url(move, external=True)
    check("cancel", cancel)
    submit(page)
    check("cancelled")
    check("reschedule refused: cancelled", links.reschedule_url(move, external=True))
    check("bad link", f"{base}/w/demo/cancel/not-a-token?{q}")
    check("unknown practice", f"{base}/w/unknown/?{q}")
    practice = db.session.scalar(select(Practice).where(Practice.slug == "demo"))
    cutoff = practice.cancel_cutoff_minutes
    set_practice(app, cancel_cutoff_minutes=60 * 24 * 400)
    check("reschedule refused: too late", links.reschedule_url(wait, external=True))
    set_practice(app, cancel_cutoff_minutes=cutoff, reschedule_enabled=False)
    check("reschedule refused: not offered", links.reschedule_url(wait, external=True))
    set_practice(app, reschedule_enabled=True)


def test_every_widget_page_in_both_languages_passes_axe_and_vnu_at_320_px(
    server, app, browser, tmp_path
):
    assert AXE.exists() and VNU.exists(), "npm install --ignore-scripts installs axe and vnu"
    context = browser.new_context(
        bypass_csp=True, java_script_enabled=True, viewport={"width": 320, "height": 720}
    )
    out = tmp_path / "pages"
    out.mkdir()
    check = Checker(context.new_page(), out, app)
    for lang in ("de", "en"):
        check_language(check, app, server.url, lang)
    context.close()
    missing = widget_get_endpoints(app) - check.endpoints - NOT_PAGES.keys()
    assert not missing, f"widget GET routes without a page in this check: {sorted(missing)}"
    assert check.problems == []
    assert check.vnu() == []
