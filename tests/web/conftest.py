"""Fixtures shared by the console's test modules."""

from tests.web.test_console import console  # noqa: F401 - a fixture, found here by pytest
