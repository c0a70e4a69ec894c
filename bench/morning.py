"""A simulated front-desk morning, end to end, re-runnable:

    .venv/bin/python bench/morning.py [--database-url URL] [--redis-url URL] [--shots DIR]

It recreates the database (migrations + the demo practice, with a cabin at Filiale Spandau so
that three kinds of appointment are offered at two branches), starts gunicorn, an RQ worker
(`worker.py`, as deployed) and an SMTP sink (harness/smtp.py), and then

1. books 20 appointments through the widget over plain HTTP (the JavaScript-free forms, the
   minimum fill time waited out, the honeypot left empty): Hörtest and Batteriewechsel confirm
   themselves, Beratung needs approval; four customers book in English;
2. works the console in Chromium as staff (bench/morning_staff.py), a screenshot per step;
3. waits until the outbox is empty and writes every email the customers got to
   DIR/mail/ (one .eml each) and DIR/mail/summary.txt (recipient, language, subject, the
   appointment's time in Europe/Berlin, the links and what they answer).

The screenshots and the mails are for a person to look at; the script fails only when the
product does (a step that cannot be done, a mail that must not exist, a link that is dead).
"""

from __future__ import annotations

import argparse
import html.parser
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import ROOT, fresh_demo_database, gunicorn  # noqa: E402
from core.demo import OPENING_HOURS  # noqa: E402
from core.models import AppointmentType, Branch, Resource, WorkingHours  # noqa: E402
from harness.smtp import SmtpSink, free_port  # noqa: E402

PASSWORD = "morning-password-123"
MIN_FILL_SECONDS = 1  # configured below (the default is 3); each form waits it out


@dataclass(frozen=True)
class Booking:
    kind: str
    branch: str
    first: str
    last: str
    email: str
    phone: str
    lang: str = "de"
    salutation: str = ""


def bookings() -> list[Booking]:
    """Twenty customers; a few are already customers of the practice (the demo's reminder
    cases: same name, one with another email), four book in English."""
    people = [
        ("Max", "Brief", "max.brief@example.org", "0170 12345670", "de", "Herr"),
        ("Erika", "Mobil", "erika.neu@example.org", "0151 12345670", "de", "Frau"),
        ("Jonas", "Krüger", "jonas.krueger@example.org", "0176 22233344", "de", "Herr"),
        ("Sophie", "Lange", "sophie.lange@example.org", "030 4445556", "de", "Frau"),
        ("Emily", "Clarke", "emily.clarke@example.org", "+44 7911 123456", "en", "Frau"),
        ("Lukas", "Becker", "lukas.becker@example.org", "0162 9876543", "de", ""),
        ("Marie", "Hoffmann", "marie.hoffmann@example.org", "0171 5550101", "de", "Frau"),
        ("Paul", "Ruhe", "paul.ruhe@example.org", "0160 12345670", "de", "Herr"),
        ("Oliver", "Smith", "oliver.smith@example.org", "0157 33344455", "en", "Herr"),
        ("Lea", "Schulz", "lea.schulz@example.org", "0172 1112223", "de", "Frau"),
        ("Finn", "Wagner", "finn.wagner@example.org", "0173 4445556", "de", ""),
        ("Hannah", "Wolf", "hannah.wolf@example.org", "0174 7778889", "de", "Frau"),
        ("Noah", "Schröder", "noah.schroeder@example.org", "0175 1212121", "de", "Herr"),
        ("Grace", "Taylor", "grace.taylor@example.org", "0177 3434343", "en", "Frau"),
        ("Mia", "Neumann", "mia.neumann@example.org", "0178 5656565", "de", "Frau"),
        ("Elias", "Schwarz", "elias.schwarz@example.org", "0179 7878787", "de", "Herr"),
        ("Klara", "Zimmermann", "klara.zimmermann@example.org", "030 9090909", "de", "Frau"),
        ("Jack", "Brown", "jack.brown@example.org", "0152 23232323", "en", "Herr"),
        ("Ida", "Braun", "ida.braun@example.org", "0155 45454545", "de", "Frau"),
        ("Ben", "Hartmann", "ben.hartmann@example.org", "0159 67676767", "de", "Herr"),
    ]
    plan = [
        ("Hörtest", "Filiale Mitte"),
        ("Beratung", "Filiale Mitte"),
        ("Batteriewechsel", "Filiale Mitte"),
        ("Hörtest", "Filiale Spandau"),
        ("Beratung", "Filiale Spandau"),
    ]
    return [
        Booking(*plan[i % len(plan)], first, last, email, phone, lang, salutation)
        for i, (first, last, email, phone, lang, salutation) in enumerate(people)
    ]


# --- the widget over HTTP -------------------------------------------------------------------


class Forms(html.parser.HTMLParser):
    """The inputs and links of one page (enough of HTML for the widget's pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, aria-label or text)
        self.inputs: list[dict] = []
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._link = {"href": attrs.get("href", ""), "text": attrs.get("aria-label") or ""}
        elif tag in ("input", "select", "textarea"):
            self.inputs.append({"tag": tag, **attrs})

    def handle_data(self, data):
        if self._link is not None and not self._link["text"]:
            self._link["text"] += data.strip()

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link["href"], self._link["text"]))
            self._link = None

    def hidden(self) -> dict[str, str]:
        return {
            f["name"]: f.get("value", "")
            for f in self.inputs
            if f.get("type") == "hidden" and f.get("name")
        }


class RadioLabels(html.parser.HTMLParser):
    """Radio inputs inside <label class="option"> with the label's text (entry and where)."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[tuple[str, str, str]] = []  # (name, value, text)
        self._current: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._current = [None, None, ""]
        elif tag == "input" and attrs.get("type") == "radio" and self._current is not None:
            self._current[0], self._current[1] = attrs.get("name"), attrs.get("value")

    def handle_data(self, data):
        if self._current is not None:
            self._current[2] += data

    def handle_endtag(self, tag):
        if tag == "label" and self._current is not None:
            if self._current[0]:
                self.options.append(tuple(self._current))
            self._current = None

    def value(self, name: str, text: str) -> str | None:
        return next((v for n, v, t in self.options if n == name and text in t), None)


class Widget:
    """A customer's browser without JavaScript (and without cookies: the widget sets none)."""

    def __init__(self, base: str, language: str = "de") -> None:
        self.base = base
        self.headers = {"Accept-Language": "en-GB,en" if language == "en" else "de-DE,de"}

    def get(self, path: str) -> tuple[str, str]:
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base, path), headers=self.headers
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.geturl(), r.read().decode()

    def post(self, path: str, fields: dict[str, str], referer: str) -> tuple[int, str, str]:
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base, path),
            data=urllib.parse.urlencode(fields).encode(),
            headers={**self.headers, "Origin": self.base, "Referer": referer},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, request.full_url, error.read().decode()

    def open_form(self, b: Booking, nth: int) -> tuple[str, dict[str, str]]:
        """Entry → kind → branch → week → the nth free time: the form's URL and hidden fields."""
        lang = f"&lang={b.lang}" if b.lang != "de" else ""
        _, page = self.get(f"/w/demo/?{lang.lstrip('&')}")
        kind = _options(page).value("type", b.kind)
        url, page = self.get(f"/w/demo/where?type={kind}{lang}")
        branch = _options(page).value("branch", b.branch)
        if branch is not None:  # the step is skipped when one branch offers the kind
            url, page = self.get(f"/w/demo/where?type={kind}&step=branch&branch={branch}{lang}")
        slots = [href for href, _ in _forms(page).links if "start=" in href]
        assert slots, f"no free time for {b.kind} at {b.branch}"
        form_url, page = self.get(urllib.parse.urljoin(url, slots[nth % len(slots)]))
        return form_url, _forms(page).hidden()

    def send(self, b: Booking, form_url: str, hidden: dict[str, str]) -> str:
        """Send the form; when the time was taken meanwhile, take the nearest free time the
        page offers (after the fill time again, as the new form asks)."""
        fields = {
            **hidden,
            "salutation": b.salutation,
            "first_name": b.first,
            "last_name": b.last,
            "email": b.email,
            "phone": b.phone,
            "message": "",
            "website": "",  # the honeypot, left empty as a person leaves it
            "consent": "yes",
        }
        action = form_url.split("?")[0]
        status, url, page = self.post(action, fields, form_url)
        if status == 409:
            print(f"  {b.first} {b.last}: the time was taken, choosing the nearest free one")
            time.sleep(MIN_FILL_SECONDS + 0.5)
            start = re.search(r'name="start" value="([^"]+)"', page)[1]
            fields = {**fields, **_forms(page).hidden(), "start": start}
            status, url, page = self.post(action, fields, action)
        assert status == 200 and "/done/" in url, (status, url, _errors(page))
        return _h1(page)


def _options(page: str) -> RadioLabels:
    parser = RadioLabels()
    parser.feed(page)
    return parser


def _forms(page: str) -> Forms:
    parser = Forms()
    parser.feed(page)
    return parser


def _h1(page: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match[1]).strip() if match else "?"


def _errors(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", e).strip()
        for e in re.findall(r'class="field-error"[^>]*>(.*?)</p>', page, re.S)
    ] or [_h1(page)]


def book_all(base: str) -> list[tuple[Booking, str]]:
    """One customer after the other: open the form, take the minimum fill time, send."""
    done = []
    for i, b in enumerate(bookings()):
        widget = Widget(base, b.lang)
        url, hidden = widget.open_form(b, 4 * i + 1)
        time.sleep(MIN_FILL_SECONDS + 0.2)
        done.append((b, widget.send(b, url, hidden)))
    return done


# --- set-up ---------------------------------------------------------------------------------


def second_branch_cabin(database_url: str) -> None:
    """Filiale Spandau gets a cabin offering Hörtest and Beratung (in the demo it has only the
    training room), as a practice with two branches has."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        spandau = session.scalar(select(Branch).where(Branch.name == "Filiale Spandau"))
        cabin = Resource(practice_id=spandau.practice_id, branch=spandau, name="Kabine Spandau")
        session.add(cabin)
        for weekday in range(5):
            for start, end in OPENING_HOURS:
                cabin.working_hours.append(WorkingHours(weekday=weekday, start=start, end=end))
        for kind in session.scalars(
            select(AppointmentType).where(AppointmentType.name.in_(["Hörtest", "Beratung"]))
        ):
            kind.resources.append(cabin)
        session.execute(
            text(
                "UPDATE practice SET undo_seconds = 45, coordination_grace_minutes = 1, "
                "min_lead_minutes = 60"
            )
        )
        session.commit()
    engine.dispose()


@contextmanager
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextmanager
def worker(env: dict[str, str], log: Path):
    """`python worker.py` as deployed (jobs and periodic scans); its output goes to `log`."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for_outbox(database_url: str, timeout: float = 180) -> None:
    """Until no message is waiting (the undo window and please-confirm grace included)."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.scalar(
                    text("SELECT count(*) FROM notification WHERE state = 'pending'")
                )
            if not waiting:
                return
            time.sleep(2)
        raise AssertionError(f"{waiting} messages still wait in the outbox")
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "MORNING_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test_morning"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("MORNING_REDIS_URL", "redis://127.0.0.1:6379/4")
    )
    parser.add_argument("--shots", type=Path, default=Path("/work/team/shots/morning"))
    args = parser.parse_args(argv)

    from bench import morning_mail, morning_staff

    args.shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        sink = stack.enter_context(smtp_sink())
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "SECRET_KEY": "morning-secret",
            "BASE_URL": base,
            "DEMO_ADMIN_PASSWORD": PASSWORD,
            "APP_ENV": "development",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(sink.port),
            "LOG_LEVEL": "WARNING",
            "WIDGET_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
            "BOOKING_LIMIT_PER_IP": "100",  # all twenty customers come from 127.0.0.1
        }
        Redis.from_url(args.redis_url).flushdb()  # rate limits and caches of the last run
        fresh_demo_database(env)
        second_branch_cabin(args.database_url)
        stack.enter_context(gunicorn(env, workers=3, port=port))
        stack.enter_context(worker(env, args.shots / "worker.log"))
        booked = book_all(base)
        for b, heading in booked:
            print(f"booked {b.kind:16} {b.branch:16} {b.lang} {b.first} {b.last}: {heading}")
        morning_staff.run(base, PASSWORD, args.shots, sink)
        wait_for_outbox(args.database_url)
        morning_mail.report(sink, args.shots / "mail", base)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
