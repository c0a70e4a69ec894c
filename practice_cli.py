"""`flask practice create`: onboard a practice without the demo seed."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from clock import utcnow
from core import accounts, onboarding
from extensions import db

practice_cli = AppGroup("practice", help="Manage practices (tenants).")


@practice_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The practice's name as customers see it.")
@click.option("--admin", "admin_email", required=True, help="Email of the first admin login.")
@click.option("--timezone", default="Europe/Berlin", show_default=True)
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--country", default="DE", show_default=True, help="For local phone numbers.")
@click.option("--branch", "branch_name", default="", help="First branch (default: the name).")
@click.option("--branch-phone", default="", help="Shown to customers, e.g. +49 30 1234567.")
@click.password_option(prompt="Admin password")
def create_practice(
    slug: str,
    name: str,
    admin_email: str,
    timezone: str,
    language: str,
    country: str,
    branch_name: str,
    branch_phone: str,
    password: str,
) -> None:
    """Create practice SLUG (its widget is /w/SLUG/) with a workflow, a branch and an admin."""
    if len(password) < 10:
        _fail("the password needs at least 10 characters")
    try:
        onboarding.create_practice(
            db.session,
            slug=slug,
            name=name,
            timezone=timezone,
            language=language,
            country=country,
            branch_name=branch_name or name,
            branch_phone=branch_phone,
            admin_email=admin_email,
            admin_password_hash=generate_password_hash(password),
            now=utcnow(),
        )
    except (onboarding.OnboardingError, accounts.AccountError) as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Created practice {slug} with admin {admin_email.strip().lower()}.")
    click.echo("Next: log in to the console and add resources, hours and appointment types.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
