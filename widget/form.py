"""The booking form's fields: parsing, limits and validation with messages per field."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from core.abuse import is_disposable
from core.models import Practice
from core.single_line import is_single_line

SALUTATIONS = {"": _l("(none)"), "Frau": _l("Ms"), "Herr": _l("Mr"), "Divers": _l("Mx")}
LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "message": 1000}
REQUIRED = ("first_name", "last_name", "email", "phone")
SINGLE_LINE = REQUIRED
# Field names as the customer reads them, in the order the form shows them; the error
# summary names each field and follows this order.
LABELS = {
    "start": _l("Time"),
    "salutation": _l("Salutation"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "message": _l("Message to us"),
    "consent": _l("Consent"),
}
ONE_LINE = _l("Please write this on one line, without line breaks or control characters.")


@dataclass
class BookingForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    consent: bool = False
    honeypot_filled: bool = False

    @classmethod
    def empty(cls) -> BookingForm:
        return cls(values={name: "" for name in ("salutation", *LIMITS)})

    @classmethod
    def parse(cls, raw, practice: Practice) -> BookingForm:
        values = {name: raw.get(name, "").strip() for name in ("salutation", *LIMITS)}
        form = cls(
            values=values,
            consent=raw.get("consent") == "yes",
            honeypot_filled=bool(raw.get("website", "").strip()),
        )
        form._validate(practice)
        return form

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[tuple[str, str, str]]:
        """(field id, field name, message) for the error summary, in the form's order."""
        return [(name, LABELS[name], self.errors[name]) for name in LABELS if name in self.errors]

    def _validate(self, practice: Practice) -> None:
        v, errors = self.values, self.errors
        for name, limit in LIMITS.items():
            if len(v[name]) > limit:
                errors[name] = _l("Please use at most %(n)d characters.", n=limit)
        for name in SINGLE_LINE:
            if not is_single_line(v[name]):
                errors[name] = ONE_LINE
        for name in REQUIRED:
            if not v[name]:
                errors.setdefault(name, _l("Please fill in this field."))
        if v["salutation"] not in SALUTATIONS:
            errors["salutation"] = _l("Please choose a salutation from the list.")
        email = self._email(v["email"]) if "email" not in errors else None
        phone = self._phone(v["phone"], practice.country) if "phone" not in errors else None
        if not self.consent:
            errors["consent"] = _l("Please agree to the processing of your data.")
        if not errors:
            self.data = {
                "salutation": v["salutation"],
                "first_name": v["first_name"],
                "last_name": v["last_name"],
                "email": email,
                "phone": phone,
                "message": v["message"],
            }

    def _email(self, raw: str) -> str | None:
        try:
            email = validate_email(raw, check_deliverability=False).normalized
        except EmailNotValidError:
            self.errors["email"] = _l("Please enter a valid email address, e.g. name@example.de.")
            return None
        if is_disposable(email):
            self.errors["email"] = _l(
                "Please use your own email address; addresses of "
                "throw-away providers cannot receive your confirmation."
            )
            return None
        return email

    def _phone(self, raw: str, country: str) -> str | None:
        try:
            number = phonenumbers.parse(raw, country)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            self.errors["phone"] = _l("Please enter a valid phone number, e.g. 030 1234567.")
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
