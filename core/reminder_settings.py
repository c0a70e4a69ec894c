"""The practice's reminder settings: parsing, validation and the SMS text template.

Console forms hand raw strings to `save`; a bad field raises `Invalid` carrying one message
per field (English msgids with parameters, worded for the form) and changes nothing. The
template uses `{name}` placeholders, filled by plain substitution, never `str.format`, so
a template can reach nothing but the five values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time

import phonenumbers
from sqlalchemy.orm import Session

from core.models import Practice
from core.numbers import parse_count
from core.reminders import MAX_LEAD_DAYS, SMS_TYPES

PLACEHOLDERS = ("practice", "day", "time", "branch", "phone")
TOKEN = re.compile(r"\{([^{}]*)\}")
CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
TEMPLATE_LIMIT = 500
CODES_LIMIT = 200


class Invalid(Exception):
    """Bad reminder settings: `errors` maps a form field to (message, parameters)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__(", ".join(errors))
        self.errors = errors


class NotMobile(Exception):
    """A test SMS needs a mobile number; the message says what was wrong."""


def unknown_placeholders(template: str) -> list[str]:
    """Names in `{…}` that the template may not use (in order, without repeats)."""
    found = [name for name in TOKEN.findall(template) if name not in PLACEHOLDERS]
    return list(dict.fromkeys(found))


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each known placeholder replaced; anything else stays as written."""
    return TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _clock(raw: str) -> time | None:
    match = CLOCK.match(raw or "")
    if not match:
        return None
    hour, minute = map(int, match.groups())
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _lead_days(raw: str) -> int | None:
    days = parse_count((raw or "").strip(), 0)
    return days if 1 <= days <= MAX_LEAD_DAYS else None


def _codes(practice: Practice, raw: str) -> tuple[str, list[str]]:
    """The normalised comma list and the codes no branch of the practice carries."""
    codes = list(dict.fromkeys(c.strip() for c in (raw or "").split(",") if c.strip()))
    known = {b.code for b in practice.branches if b.code}
    return ", ".join(codes), [c for c in codes if c not in known]


def _template(raw: str) -> tuple[str | None, tuple[str, dict] | None]:
    """The stored template (None: the standard text) or the error to show at the field."""
    template = (raw or "").strip().replace("\r\n", "\n")
    if not template:
        return None, None
    if len(template) > TEMPLATE_LIMIT:
        return None, ("At most %(limit)s characters.", {"limit": TEMPLATE_LIMIT})
    unknown = unknown_placeholders(template)
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        known = " ".join("{" + n + "}" for n in PLACEHOLDERS)
        return None, (
            "Unknown placeholder %(names)s; use %(known)s.",
            {"names": names, "known": known},
        )
    return template, None


def save(session: Session, practice: Practice, form: Mapping[str, str]) -> None:
    """Apply the reminder form to the practice and commit once, or raise Invalid and change
    nothing.

    Checkboxes arrive as "yes" when ticked; times are practice-local HH:MM.
    """
    errors: dict[str, tuple[str, dict]] = {}
    lead = _lead_days(form.get("reminder_lead_days", ""))
    if lead is None:
        errors["reminder_lead_days"] = (
            "Between 1 and %(max)s days.",
            {"max": MAX_LEAD_DAYS},
        )
    quiet = {name: _clock(form.get(name, "")) for name in ("quiet_hours_start", "quiet_hours_end")}
    for name, value in quiet.items():
        if value is None:
            errors[name] = ("Write a time like 20:00.", {})
    codes, unknown = _codes(practice, form.get("reminder_branch_codes", ""))
    if unknown:
        errors["reminder_branch_codes"] = (
            "No branch has the code %(codes)s.",
            {"codes": ", ".join(unknown)},
        )
    elif len(codes) > CODES_LIMIT:
        errors["reminder_branch_codes"] = ("At most %(limit)s characters.", {"limit": CODES_LIMIT})
    template, problem = _template(form.get("sms_template", ""))
    if problem:
        errors["sms_template"] = problem
    if errors:
        raise Invalid(errors)
    practice.reminders_enabled = form.get("reminders_enabled") == "yes"
    practice.reminder_sms_enabled = form.get("reminder_sms_enabled") == "yes"
    practice.reminder_email_enabled = form.get("reminder_email_enabled") == "yes"
    practice.reminder_any_active_status = form.get("reminder_any_active_status") == "yes"
    practice.reminder_lead_days = lead
    practice.quiet_hours_start = quiet["quiet_hours_start"]
    practice.quiet_hours_end = quiet["quiet_hours_end"]
    practice.reminder_branch_codes = codes
    practice.sms_template = template
    session.commit()


def mobile_number(raw: str, country: str) -> str:
    """The number in E.164 when it reaches a mobile phone; else NotMobile says why."""
    try:
        parsed = phonenumbers.parse((raw or "").strip()[:40], (country or "DE").upper())
    except phonenumbers.NumberParseException:
        raise NotMobile("This is not a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise NotMobile("This is not a phone number.")
    if phonenumbers.number_type(parsed) not in SMS_TYPES:
        raise NotMobile("This is not a mobile number; an SMS cannot reach it.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
