"""The application factory: configuration, extensions, blueprints and CLI commands.

Only this module builds the application; the extensions live in `extensions.py` and the
clock in `clock.py`, so nothing imports this module but entry points (wsgi, worker, tests).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from dotenv import load_dotenv
from flask import Flask, g, request
from flask.cli import AppGroup
from flask_babel import get_locale
from redis import Redis
from rq import Queue
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from werkzeug.security import generate_password_hash

import feeds
import ops
import versions
from clock import utcnow
from console import bp as console_bp
from core import accounts, demo
from extensions import LANGUAGES, babel, csrf, db, login_manager, mail, migrate
from notifications import queueing as outbox_queueing
from practice_cli import practice_cli
from widget import bp as widget_bp
from widget.site import bp as site_bp

PRODUCTION_NAMES = ("production", "prod")


class ConfigError(Exception):
    """A setting is missing or malformed; start-up stops with one line naming it."""


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` (tests) win over the environment, which wins over defaults."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    try:
        app.config.from_mapping(load_config(app.instance_path, overrides or {}))
    except ConfigError as error:
        raise SystemExit(f"Configuration error: {error}") from None

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    csrf.init_app(app)
    redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
    app.extensions["redis"] = redis
    app.extensions["rq_queue"] = Queue(app.config["RQ_QUEUE"], connection=redis)
    outbox_queueing.init_app(app)  # every committed pending Notification gets its RQ job
    versions.install(db.session.session_factory.class_)  # caches and polls see each change

    app.register_blueprint(widget_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(site_bp)
    app.register_blueprint(feeds.bp)
    ops.init_app(app)
    app.after_request(security_headers)
    app.jinja_env.globals["get_locale"] = get_locale
    register_commands(app)
    return app


def load_config(instance_path: str, overrides: dict) -> dict:
    """Read settings from the environment (and `.env`), validating what would fail later."""
    load_dotenv()
    env = {**os.environ, **{k: str(v) for k, v in overrides.items() if isinstance(v, str)}}
    app_env = (env.get("APP_ENV") or env.get("FLASK_ENV") or "development").lower()
    testing = bool(overrides.get("TESTING"))
    production = app_env in PRODUCTION_NAMES
    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set in production (a long random string).")
        secret = _development_secret(instance_path)
    database_url = _database_url(
        env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'termine.db'}"
    )
    config = {
        "APP_ENV": app_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL", "redis://localhost:6379/0"),
        "RQ_QUEUE": env.get("RQ_QUEUE", "termine"),
        "RQ_JOB_TIMEOUT": _int(env, "RQ_JOB_TIMEOUT", 60),
        "RQ_RETRIES": _int(env, "RQ_RETRIES", 5),
        "RQ_RETRY_DELAY": _int(env, "RQ_RETRY_DELAY", 30),
        "OUTBOX_DISPATCH_BATCH": _int(env, "OUTBOX_DISPATCH_BATCH", 500),
        "OUTBOX_BATCH": max(_int(env, "OUTBOX_BATCH", 50), 1),
        "OUTBOX_DISPATCH_SECONDS": _int(env, "OUTBOX_DISPATCH_SECONDS", 60),
        "BASE_URL": env.get("BASE_URL", "http://localhost:5000").rstrip("/"),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes"),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "termine@localhost"),
        "MAIL_DIR": env.get("MAIL_DIR", str(Path(instance_path) / "mail")),
        "SMS_PROVIDER": env.get("SMS_PROVIDER", "log"),
        "SMS_URL": env.get("SMS_URL", ""),
        "SMS_API_KEY": env.get("SMS_API_KEY", ""),
        "SMS_SENDER": env.get("SMS_SENDER", "Termine"),
        "SMS_COUNTRY_CODE": env.get("SMS_COUNTRY_CODE", "49"),
        "SMS_DIR": env.get("SMS_DIR", str(Path(instance_path) / "sms")),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_TRANSLATION_DIRECTORIES": "translations;widget/translations;console/translations",
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "DEMO_HOMEPAGE": not production,
        "LOGIN_ATTEMPTS": _int(env, "LOGIN_ATTEMPTS", 10),
        "WIDGET_MIN_FILL_SECONDS": _int(env, "WIDGET_MIN_FILL_SECONDS", 3),
        "BOOKING_LIMIT_PER_IP": _int(env, "BOOKING_LIMIT_PER_IP", 20),
        "BOOKING_LIMIT_PER_CONTACT": _int(env, "BOOKING_LIMIT_PER_CONTACT", 5),
        "PROXY_FIX": env.get("PROXY_FIX", "1" if production else "").lower() in ("1", "true"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }
    config.update(overrides)
    if testing and "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = "test-secret-key"
    return config


def _database_url(raw: str) -> str:
    """Validate DATABASE_URL and pick the psycopg 3 driver for plain postgres URLs."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is malformed; expected e.g. postgresql://user@host/db "
            "or sqlite:///path/to/file.db"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(f"DATABASE_URL uses {url.drivername!r}; use postgresql or sqlite.")
    return url.render_as_string(hide_password=False)


def _int(env: dict, name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number.") from None


def _development_secret(instance_path: str) -> str:
    """A random key kept in the instance folder, so signed links survive a restart."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def select_locale() -> str:
    """`?lang=` wins (the widget carries it without cookies); then what the view chose."""
    lang = request.args.get("lang") or request.form.get("lang")
    if lang in LANGUAGES:
        return lang
    return g.get("locale") or request.accept_languages.best_match(LANGUAGES) or "de"


def security_headers(response):
    """Headers every response carries; blueprints set their own Content-Security-Policy."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register_commands(app: Flask) -> None:
    @app.cli.command("demo")
    def demo_command() -> None:
        """Seed the demo practice (idempotent) and print where to find it."""
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        practice, created = demo.seed(
            db.session,
            now=utcnow(),
            admin_password_hash=generate_password_hash(password),
            with_reminder_cases=True,
        )
        base = app.config["BASE_URL"]
        click.echo(f"Widget:  {base}/w/{practice.slug}/")
        click.echo(f"Console: {base}/console/  (login {demo.ADMIN_EMAIL})")
        if created and not os.environ.get("DEMO_ADMIN_PASSWORD"):
            click.echo(f"Password (shown once): {password}")
        elif not created:
            click.echo("The demo practice exists already; nothing changed.")

    user_cli = AppGroup("user", help="Manage staff logins.")

    @user_cli.command("create")
    @click.argument("email")
    @click.option("--practice", "slug", required=True, help="The practice's slug.")
    @click.option("--role", type=click.Choice(["staff", "admin"]), default="staff")
    @click.option("--name", default="")
    @click.password_option(prompt="Password")
    def create_user(email: str, slug: str, role: str, name: str, password: str) -> None:
        """Add a staff or admin login to a practice; the password is prompted, never echoed."""
        try:
            accounts.create_user(
                db.session,
                slug=slug,
                email=email,
                name=name,
                role=role,
                password_hash=generate_password_hash(password),
                now=utcnow(),
            )
        except accounts.AccountError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        click.echo(f"Created {role} {email.lower()} for practice {slug}.")

    app.cli.add_command(user_cli)
    app.cli.add_command(practice_cli)
