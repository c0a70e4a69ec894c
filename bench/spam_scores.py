"""SpamAssassin's verdict on one email of every kind the product sends, German and English.

    .venv/bin/python bench/spam_scores.py [--record]

Needs Debian's `spamassassin` (`apt-get install spamassassin`); it is not part of the test
suite. The mails are composed by the product's own code (notifications.emails.compose) from
rows the real use cases wrote, on a throw-away SQLite database, and scored with
`spamassassin -L -t` (local rules only: no network tests). Exits 1 when any scores above 1.0;
`--record` appends the table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from core import coordination, demo, outbox  # noqa: E402
from core.models import Customer, StatusKind, WaitlistEntry, WaitlistOffer  # noqa: E402
from extensions import db  # noqa: E402
from harness.appointments import book  # noqa: E402
from notifications.emails import compose  # noqa: E402

LIMIT = 1.0
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SENDER = "Hörakustik Sonnenschein <termine@praxis-sonnenschein.de>"


def mails(language: str) -> list[tuple[str, object]]:
    """(kind, EmailMessage) for every kind, in `language` where the kind is the customer's."""
    practice = demo.seed(db.session, now=NOW, admin_password_hash="x")[0]
    start = NOW + timedelta(days=2 + (language == "en"), hours=3)
    appointment = book(
        db.session, practice, NOW, email=f"kunde.{language}@example.org", start=start
    )
    appointment.language = language
    appointment.customer = Customer(
        practice=practice,
        salutation="Frau",
        first_name="Else",
        last_name="Kling",
        email=f"kunde.{language}@example.org",
        created_at=NOW,
    )
    db.session.flush()
    request = coordination.create(
        db.session,
        [appointment],
        recipients=appointment.customer.email,
        allow_decline=True,
        message="Wie telefonisch besprochen.",
        now=NOW,
    )
    db.session.flush()
    for kind in (
        outbox.Kind.REQUEST_RECEIVED,
        outbox.Kind.CANCELLATION,
        outbox.Kind.STAFF_CUSTOMER_CANCELLED,
        outbox.Kind.STAFF_DECLINED,
        outbox.Kind.COORDINATION_UPDATE,
        outbox.Kind.REMINDER,
        outbox.Kind.RESCHEDULED,
        outbox.Kind.STAFF_CUSTOMER_RESCHEDULED,
        outbox.Kind.WAITLIST_OFFER,
        outbox.Kind.WAITLIST_GONE,
    ):
        payload = {
            "old": (start - timedelta(days=1)).isoformat(),
            "start": start.isoformat(),
            "offer": _offer(appointment).id,
        }
        row = outbox.add(
            db.session, appointment, kind, appointment.customer.email, now=NOW, payload=payload
        )
        if kind in (outbox.Kind.STAFF_DECLINED, outbox.Kind.COORDINATION_UPDATE):
            row.coordination_request_id = request.id
    note = {"purpose": "free_text", "note": "Bitte bringen Sie Ihre alten Hörgeräte mit."}
    outbox.add(
        db.session,
        appointment,
        outbox.Kind.MANUAL,
        appointment.customer.email,
        now=NOW,
        payload=note,
    )
    db.session.flush()
    rows = db.session.scalars(
        db.select(outbox.Notification).where(outbox.Notification.appointment_id == appointment.id)
    ).all()
    result = []
    for row in rows:
        cancelled = row.kind in outbox.CANCELLATION_KINDS
        status = next(s for s in practice.statuses if s.kind is StatusKind.CANCELLED)
        original = appointment.status
        if cancelled:
            appointment.status = status
        result.append((row.kind, compose(row, now=NOW)))
        appointment.status = original
    return result


def _offer(appointment) -> WaitlistOffer:
    """An earlier time offered to the appointment's customer (for the waitlist emails)."""
    entry = db.session.scalar(
        db.select(WaitlistEntry).where(WaitlistEntry.appointment_id == appointment.id)
    )
    if entry is None:
        entry = WaitlistEntry(
            practice_id=appointment.practice_id,
            appointment=appointment,
            until=appointment.start.date(),
            created_at=NOW,
        )
        start = appointment.start - timedelta(days=1)
        entry.offers.append(
            WaitlistOffer(
                practice_id=appointment.practice_id,
                resource_id=appointment.resource_id,
                start=start,
                end=start + (appointment.end - appointment.start),
                expires_at=NOW + timedelta(hours=12),
                created_at=NOW,
            )
        )
        db.session.add(entry)
        db.session.flush()
    return entry.offers[0]


def score(message) -> tuple[float, str]:
    report = subprocess.run(
        ["spamassassin", "-L", "-t"], input=message.as_bytes(), capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    status = re.search(
        r"X-Spam-Status: \w+, score=(-?[\d.]+) .*?tests=(.*?)autolearn", report, re.S
    )
    tests = re.sub(r"\s+", "", status.group(2)).rstrip(",")
    return float(status.group(1)), tests


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    table = []
    for language in ("de", "en"):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/spam.db",
                    "MAIL_DEFAULT_SENDER": SENDER,
                    "BASE_URL": "https://termine.praxis-sonnenschein.de",
                }
            )
            with app.app_context():
                db.create_all()
                for kind, message in mails(language):
                    table.append((kind, language, *score(message)))
                db.session.remove()
                db.engine.dispose()
    lines = ["| email | language | score | rules |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {lang} | {s:.1f} | {t or '–'} |" for k, lang, s, t in table]
    print("\n".join(lines))
    if args.record:
        version = subprocess.run(["spamassassin", "-V"], capture_output=True, text=True).stdout
        section = (
            f"\n\n## SpamAssassin scores of every email kind ({datetime.now(UTC):%Y-%m-%d %H:%M})"
            f"\n\nMachine: {platform.platform()}, Python {platform.python_version()}; "
            f"{version.splitlines()[0]}, local rules only.\n\n"
            f"Command: `.venv/bin/python bench/spam_scores.py --record` (limit {LIMIT})\n\n"
            + "\n".join(lines)
            + "\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(section)
    return 1 if any(s > LIMIT for _, _, s, _ in table) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
