"""Throw-away email domains are recognised, with their subdomains, and nothing else."""

import pytest

from core.abuse import is_disposable


@pytest.mark.parametrize(
    ("email", "disposable"),
    [
        ("someone@mailinator.com", True),
        ("someone@MAILINATOR.com", True),
        ("x@eu.mailinator.com", True),
        ("x@wegwerfmail.de", True),
        ("erika@example.org", False),
        ("erika@gmx.de", False),
        ("erika@notmailinator.com", False),
        ("erika@mailinator.com.example.org", False),
    ],
)
def test_disposable_domains(email, disposable):
    assert is_disposable(email) is disposable
