"""A new practice, ready for its admin: the tenant row, a workflow, its first branch, a login.

What it needs to take bookings beyond that (resources, working hours, appointment types) the
admin sets up in the console's settings, where every rule is explained.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts, closures
from core.models import Branch, Practice, Status, StatusKind
from core.single_line import is_single_line

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
LANGUAGES = ("de", "en")

# name, description, kind, colour, default start, customer cancellation — per language.
STATUSES = {
    "de": [
        ("Online-Anfrage", "Neu über das Buchungsformular eingegangen", StatusKind.START,
         "#b45309", True, False),
        ("In Prüfung", "Wird von der Praxis bearbeitet", StatusKind.PROGRESS, "#1d4ed8", False,
         False),
        ("Bestätigt", "Termin steht", StatusKind.CONFIRMED, "#15803d", False, False),
        ("Abgesagt", "Von der Praxis abgesagt", StatusKind.CANCELLED, "#b91c1c", False, False),
        ("Storniert durch Kunde", "Über den Link in der E-Mail storniert", StatusKind.CANCELLED,
         "#7f1d1d", False, True),
        ("Abgelehnt", "Vom Kunden per Terminabstimmung abgelehnt", StatusKind.DECLINED,
         "#6b21a8", False, False),
    ],
    "en": [
        ("Online request", "New from the booking form", StatusKind.START, "#b45309", True, False),
        ("In review", "Being handled by the practice", StatusKind.PROGRESS, "#1d4ed8", False,
         False),
        ("Confirmed", "The appointment stands", StatusKind.CONFIRMED, "#15803d", False, False),
        ("Cancelled", "Cancelled by the practice", StatusKind.CANCELLED, "#b91c1c", False, False),
        ("Cancelled by customer", "Cancelled through the link in the email",
         StatusKind.CANCELLED, "#7f1d1d", False, True),
        ("Declined", "Declined by the customer when asked to confirm", StatusKind.DECLINED,
         "#6b21a8", False, False),
    ],
}  # fmt: skip


class OnboardingError(Exception):
    """The practice cannot be created as asked; the message says why."""


def default_statuses(practice: Practice, language: str) -> list[Status]:
    """The workflow every practice starts with, named in its language."""
    return [
        Status(
            practice=practice,
            name=name,
            description=description,
            position=i,
            kind=kind,
            color=colour,
            is_default=default,
            is_customer_cancellation=customer,
        )
        for i, (name, description, kind, colour, default, customer) in enumerate(STATUSES[language])
    ]


def create_practice(
    session: Session,
    *,
    slug: str,
    name: str,
    timezone: str,
    language: str,
    country: str,
    branch_name: str,
    branch_phone: str,
    admin_email: str,
    admin_password_hash: str,
    now: datetime,
) -> Practice:
    """Create the practice with its workflow, first branch and admin login; commits once."""
    _check(session, slug, name, timezone, language, country, branch_name, branch_phone)
    accounts.normalise_email(admin_email)  # refuse a bad address before writing anything
    practice = Practice(
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        language=language,
        country=country.upper(),
        created_at=now,
    )
    session.add(practice)
    session.add_all(default_statuses(practice, language))
    holidays = practice.country if practice.country in closures.COUNTRIES else ""
    session.add(
        Branch(
            practice=practice,
            name=branch_name.strip(),
            phone=branch_phone.strip(),
            country=holidays,
        )
    )
    session.flush()
    accounts.create_user(
        session,
        slug=slug,
        email=admin_email,
        name="",
        role="admin",
        password_hash=admin_password_hash,
        now=now,
    )
    return practice


def _check(session, slug, name, timezone, language, country, branch_name, branch_phone) -> None:
    if not SLUG.fullmatch(slug):
        raise OnboardingError("the slug takes lower-case letters, digits and dashes (at most 60)")
    if session.scalar(select(Practice.id).where(Practice.slug == slug)) is not None:
        raise OnboardingError(f"a practice with slug {slug!r} exists already")
    for label, value, limit in (("name", name, 200), ("branch", branch_name, 200)):
        if not value.strip() or len(value) > limit or not is_single_line(value):
            raise OnboardingError(f"the {label} is required: one line, at most {limit} characters")
    if len(branch_phone) > 40 or not is_single_line(branch_phone):
        raise OnboardingError("the branch phone: one line, at most 40 characters")
    if timezone not in available_timezones():
        raise OnboardingError(f"unknown time zone {timezone!r}; e.g. Europe/Berlin")
    if language not in LANGUAGES:
        raise OnboardingError(f"the language is one of {', '.join(LANGUAGES)}")
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        raise OnboardingError("the country is a two-letter code such as DE, AT or CH")
