"""The widget's page while the database is unreachable: 503, "please call us", the phone.

The page cannot read the practice then, so every successful page remembers the practice's
name, language, framing policy and branch phones in process memory (a few hundred bytes per
practice). It renders without the app's context processors, which may query the database.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import refresh
from sqlalchemy import inspect

import ops
from widget.blueprint import bp, widget_csp

CARDS: dict[str, dict] = {}


@bp.after_request
def remember_practice(response):
    """Keep what the outage page shows, from pages whose practice and branches were loaded."""
    practice = g.get("practice")
    if response.status_code == 200 and practice is not None:
        if "branches" not in inspect(practice).unloaded:  # never a query of its own
            CARDS[practice.slug] = {
                "name": practice.name,
                "language": practice.language,
                "csp": widget_csp(practice),
                "branches": {b.id: {"name": b.name, "phone": b.phone} for b in practice.branches},
            }
    return response


def database_down(error):
    ops.database_down(error)
    card = CARDS.get((request.view_args or {}).get("slug", ""))
    headers = {"Retry-After": str(ops.RETRY_AFTER_SECONDS)}
    if card is not None:
        g.locale = card["language"]
        refresh()  # the locale may have been read before the practice was known
        headers["Content-Security-Policy"] = card["csp"]
    page = current_app.jinja_env.get_template("widget/unavailable.html")
    body = page.render(request=request, practice=card, phones=_phones(card))
    return body, 503, headers


def _phones(card: dict | None) -> list[dict]:
    """The chosen branch's phone when the URL names one, else every branch's."""
    if card is None:
        return []
    branches = card["branches"]
    raw = request.args.get("branch", "")
    chosen = branches.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    return [b for b in ([chosen] if chosen else branches.values()) if b["phone"]]


for _outage in ops.DATABASE_DOWN:
    bp.register_error_handler(_outage, database_down)
