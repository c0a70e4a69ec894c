"""The reminder settings' rules: template placeholders and the test SMS's number check."""

from __future__ import annotations

import pytest

from core import reminder_settings as rules


def test_only_the_five_placeholders_are_known_and_each_unknown_is_named_once():
    assert rules.unknown_placeholders("{practice} {day} {time} {branch} {phone}") == []
    assert rules.unknown_placeholders("{datum} {0} {} {datum} {day.real}") == [
        "datum",
        "0",
        "",
        "day.real",
    ]


def test_filling_replaces_known_placeholders_and_leaves_other_braces_alone():
    values = {"practice": "Hörwelt", "day": "24.11."}
    assert rules.fill("{practice} am {day} {x} { }", values) == "Hörwelt am 24.11. {x} { }"
    assert rules.fill("{practice}", {"practice": "{day}", "day": "no"}) == "{day}"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("0151 12345678", "+4915112345678"), ("+43 664 1234567", "+436641234567")],
)
def test_a_mobile_number_is_read_with_the_practices_country(raw, e164):
    assert rules.mobile_number(raw, "DE") == e164


@pytest.mark.parametrize("raw", ["030 1234567", "", "0151", "+49 30 123456789012345"])
def test_landlines_and_non_numbers_are_not_mobile(raw):
    with pytest.raises(rules.NotMobile):
        rules.mobile_number(raw, "DE")
