"""The customer-facing booking widget: server-rendered HTML, no JavaScript, no cookies."""

from flask import Blueprint, current_app, g

from app import csrf

bp = Blueprint("widget", __name__, url_prefix="/w")
# The widget runs in third-party iframes where cookies are not sent: it carries its own
# signed form tokens and checks Origin instead of Flask-WTF's session-bound CSRF token.
csrf.exempt(bp)


@bp.after_request
def widget_headers(response):
    """Strict CSP; framing only by the practice's own homepage (and ourselves)."""
    ancestors = ["'self'"]
    practice = g.get("practice")
    if practice is not None:
        ancestors += practice.origins
    if current_app.config["APP_ENV"] == "development":
        ancestors += ["http://localhost:*", "http://127.0.0.1:*"]
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {' '.join(ancestors)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# Route modules attach their views to bp.
from widget import cancel, views  # noqa: E402,F401,I001
