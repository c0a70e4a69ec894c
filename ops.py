"""Operating the app: health endpoints for the process manager and one log line per request.

`/healthz` says the process answers; `/readyz` says it can do its work (database and Redis
reachable) so a load balancer can take it out of rotation. The request log names the
endpoint, never the raw path: paths carry signed tokens and practice slugs, query strings
carry dates and names, and none of that belongs in a log.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import exc, text
from werkzeug.middleware.proxy_fix import ProxyFix

from extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("termine.request")

# What an unreachable, restarting or overloaded database raises; the pages answer 503 for it.
DATABASE_DOWN = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
RETRY_AFTER_SECONDS = 30


def database_down(error: Exception) -> None:
    """Log an outage by its type only: the message may quote SQL parameters (personal data)."""
    cause = getattr(error, "orig", None) or error
    log.warning("database unavailable", extra={"fields": {"error": type(cause).__name__}})


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "redis": _check(lambda: current_app.extensions["redis"].ping()),
    }
    db.session.rollback()
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # noqa: BLE001 - any failure makes the dependency unavailable
        return f"error: {type(error).__name__}"
    return "ok"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("PROXY_FIX"):
        # Behind the TLS proxy: trust one hop of X-Forwarded-* so HSTS and URLs see https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    configure_logging(app)
    app.before_request(_start_timer)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_log_request)


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr, one per event; the level from LOG_LEVEL."""
    root = logging.getLogger("termine")
    if not root.handlers:
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and daemons swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


def _start_timer() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]


def _refuse_nul_bytes():
    """No text we store may hold NUL (PostgreSQL refuses it): answer 400 before any view runs."""

    def has_nul(values) -> bool:
        return any("\x00" in v for v in values)

    if (
        "\x00" in request.path
        or has_nul(request.args.values())
        or (request.method == "POST" and has_nul(request.form.values()))
    ):
        return "Bad request: invalid characters.", 400
    return None


def _log_request(response):
    started = g.pop("request_started", None)
    if started is not None and request.endpoint not in ("static", "ops.healthz"):
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "endpoint": request.endpoint or "-",
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "bytes": response.calculate_content_length(),
                }
            },
        )
    return response
