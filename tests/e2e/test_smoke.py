"""The product comes up under gunicorn and its first pages pass axe-core."""

import pytest

from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]


def test_console_login_page_is_accessible(live_server, axe_page):
    axe_page.goto(live_server.url + "/console/login")
    assert axe_page.title().startswith("Anmelden")
    assert axe_violations(axe_page) == []
