"""The inbox's "arrived" column reads like a person says it: the next unit once it is close."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template_string

from tests.web.staff import NOW


def test_arrival_ages_round_to_the_next_unit_instead_of_counting_on(app):
    app.config["CLOCK"] = lambda: NOW
    with app.test_request_context("/console/inbox", headers={"Accept-Language": "de"}):

        def ago(**delta) -> str:
            return render_template_string("{{ t|ago }}", t=NOW - timedelta(**delta))

        assert ago(seconds=20) == "vor 20 Sekunden"
        assert ago(seconds=63) == "vor 1 Minute"
        assert ago(minutes=62) == "vor 1 Stunde"
        assert ago(hours=3) == "vor 3 Stunden"
