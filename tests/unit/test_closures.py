"""Which days a branch is closed: statutory holidays (the `holidays` package) by country and
state, the practice's openings and its own closing days. Pure, no database."""

from datetime import date

import pytest

from core import closures

CHRISTMAS = date(2026, 12, 25)


def test_holidays_are_named_in_the_readers_language():
    assert closures.statutory("DE", "BE", CHRISTMAS, CHRISTMAS, "de") == {
        CHRISTMAS: "Erster Weihnachtstag"
    }
    assert closures.statutory("DE", "BE", CHRISTMAS, CHRISTMAS, "en") == {
        CHRISTMAS: "Christmas Day"
    }


def test_the_state_decides_regional_holidays():
    epiphany = date(2027, 1, 6)
    assert epiphany in closures.statutory("DE", "BY", epiphany, epiphany, "de")
    assert epiphany not in closures.statutory("DE", "BE", epiphany, epiphany, "de")
    assert epiphany in closures.statutory("AT", "9", epiphany, epiphany, "de")  # Wien
    womens_day = date(2027, 3, 8)
    assert closures.statutory("DE", "BE", womens_day, womens_day, "de")  # Berlin only
    assert not closures.statutory("DE", "", womens_day, womens_day, "de")  # nationwide: no


def test_a_range_across_new_year_takes_both_years():
    found = closures.statutory("CH", "ZH", date(2026, 12, 24), date(2027, 1, 2), "de")
    assert sorted(found) == [CHRISTMAS, date(2026, 12, 26), date(2027, 1, 1)]


def test_no_country_no_holidays():
    assert closures.statutory("", "", date(2026, 1, 1), date(2026, 12, 31), "de") == {}


def test_openings_remove_holidays_and_closing_days_add_their_names():
    holidays = {CHRISTMAS: "Erster Weihnachtstag", date(2026, 12, 26): "Zweiter Weihnachtstag"}
    overrides = [(date(2026, 12, 26), True, ""), (date(2026, 12, 28), False, "Inventur")]
    assert closures.closed_days(holidays, overrides) == {
        CHRISTMAS: "Erster Weihnachtstag",
        date(2026, 12, 28): "Inventur",
    }


@pytest.mark.parametrize(
    "country, subdivision", [("DE", "BY"), ("AT", "9"), ("CH", "ZH"), ("DE", ""), ("", "")]
)
def test_known_regions_pass(country, subdivision):
    closures.check_region(country, subdivision)


@pytest.mark.parametrize(
    "country, subdivision", [("FR", ""), ("DE", "ZH"), ("AT", "W"), ("DE", "XX")]
)
def test_unknown_regions_are_refused(country, subdivision):
    with pytest.raises(closures.UnknownRegion):
        closures.check_region(country, subdivision)


def test_the_states_have_names_for_the_console():
    assert ("BY", "Bayern") in closures.subdivisions("DE")
    assert ("9", "Wien") in closures.subdivisions("AT")
    assert ("ZH", "Zürich") in closures.subdivisions("CH")
