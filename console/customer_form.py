"""The customer form: a phone-only customer (no email) is normal, so only a name is required."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from core.models import Channel, Customer
from core.single_line import is_single_line

FIELDS = ("salutation", "first_name", "last_name", "email", "phone", "preferred_channel", "notes")
SINGLE_LINE = ("salutation", "first_name", "last_name", "email", "phone")


@dataclass
class CustomerForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_customer(cls, c: Customer | None) -> CustomerForm:
        if c is None:
            return cls(values={name: "" for name in FIELDS} | {"preferred_channel": "email"})
        return cls(values={name: str(getattr(c, name) or "") for name in FIELDS})

    @classmethod
    def parse(cls, raw, country: str) -> CustomerForm:
        form = cls(values={name: raw.get(name, "").strip()[:1000] for name in FIELDS})
        form._validate(country)
        return form

    @property
    def valid(self) -> bool:
        return not self.errors

    def _validate(self, country: str) -> None:
        v = self.values
        if not v["last_name"]:
            self.errors["last_name"] = _l("Please enter the last name.")
        for name in ("salutation", "first_name", "last_name"):
            if len(v[name]) > 100:
                self.errors[name] = _l("At most 100 characters.")
        for name in SINGLE_LINE:
            if not is_single_line(v[name]):
                self.errors[name] = _l(
                    "Please write this on one line, without line breaks or control characters."
                )
        if v["email"] and "email" not in self.errors:
            try:
                v["email"] = validate_email(v["email"], check_deliverability=False).normalized
            except EmailNotValidError:
                self.errors["email"] = _l("This is not a valid email address.")
        if v["phone"] and "phone" not in self.errors:
            try:
                number = phonenumbers.parse(v["phone"], country)
                if not phonenumbers.is_valid_number(number):
                    raise phonenumbers.NumberParseException(0, "invalid")
                v["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                self.errors["phone"] = _l("This is not a valid phone number.")
        if v["preferred_channel"] not in {c.value for c in Channel}:
            self.errors["preferred_channel"] = _l("Please choose a channel.")
        elif v["preferred_channel"] == "sms" and not v["phone"]:
            self.errors["phone"] = _l("SMS needs a phone number.")
        elif v["preferred_channel"] == "email" and not v["email"]:
            self.errors["email"] = _l("Email needs an email address.")
