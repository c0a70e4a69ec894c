"""Fixtures shared by the web test modules."""

from tests.web.test_console import console  # noqa: F401 - a fixture, found here by pytest
from tests.web.test_widget import widget  # noqa: F401 - a fixture, found here by pytest
