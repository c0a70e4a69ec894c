"""Single-line fields refuse line breaks and control characters, with a message, storing nothing."""

from __future__ import annotations

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from core.models import Appointment, Branch, Customer
from tests.web.test_widget import open_form, post

BROKEN = ["Erika\nBcc: attacker@example.org", "Eri\rka", "Eri\tka", "Erika\u2028Muster"]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "phone"])
def test_the_booking_form_refuses_a_line_break_in_a_single_line_field(widget, session, field):
    _form, token = open_form(widget, session)
    before = count(session, Appointment)
    value = {"email": "erika@example.org\nBcc: x@example.org", "phone": "0151\n12345678"}
    answer = post(widget, token, **{field: value.get(field, BROKEN[0])})
    assert answer.status_code == 422
    assert "Bitte in einer Zeile schreiben, ohne Zeilenumbrüche oder Steuerzeichen." in answer.text
    assert count(session, Appointment) == before


@pytest.mark.parametrize("name", BROKEN)
def test_the_customer_form_refuses_control_characters_in_german_and_english(console, session, name):
    before = count(session, Customer)
    for query, message in [
        ("", "Bitte in einer Zeile schreiben"),
        ("?lang=en", "Please write this on one line, without line breaks or control characters."),
    ]:
        answer = console.post(
            f"/console/customers/new{query}",
            data={"first_name": name, "last_name": "Muster", "preferred_channel": "none"},
        )
        assert answer.status_code == 422 and message in answer.text
        refresh()  # the test's app context outlives each request; so would its locale
    assert count(session, Customer) == before


def test_settings_refuse_a_line_break_in_a_branch_name_and_keep_the_branches(console, session):
    before = count(session, Branch)
    answer = console.post("/console/settings/branches/new", data={"name": "Filiale\nNord"})
    assert answer.status_code == 422
    assert "Namen, Adressen und Nummern müssen in einer Zeile stehen" in answer.text
    assert count(session, Branch) == before


def test_settings_refuse_a_line_break_in_a_new_users_name(console, session):
    answer = console.post(
        "/console/settings/users",
        data={"email": "neu@demo.example", "name": "Neu\nEr", "password": "a-long-password"},
    )
    assert answer.status_code == 422 and "in einer Zeile" in answer.text
