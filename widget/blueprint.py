"""The widget's blueprint with its headers (CSP frame-ancestors, no-store unless a page says
how it may be cached), in its own module so that page modules import it without importing
the package that imports them (no import ring)."""

from flask import Blueprint, current_app, g

from extensions import csrf

bp = Blueprint("widget", __name__, url_prefix="/w")
# The widget runs in third-party iframes where cookies are not sent: it carries its own
# signed form tokens and checks Origin instead of Flask-WTF's session-bound CSRF token.
csrf.exempt(bp)


def widget_csp(practice) -> str:
    """Strict CSP; framing only by the practice's own homepage (and ourselves)."""
    ancestors = ["'self'"]
    if practice is not None:
        ancestors += practice.origins
    if current_app.config["APP_ENV"] == "development":
        ancestors += ["http://localhost:*", "http://127.0.0.1:*"]
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {' '.join(ancestors)}"
    )


@bp.after_request
def widget_headers(response):
    if "Content-Security-Policy" not in response.headers:  # a cached page brings its own
        csp = g.get("widget_csp") or widget_csp(g.get("practice"))
        response.headers["Content-Security-Policy"] = csp
    response.headers.setdefault("Cache-Control", "no-store")  # the week page says its own
    return response
