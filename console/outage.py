"""The console's page while the database is unreachable: 503 in the console's look.

Rendered without the app's context processors: Flask-Login's would load the user from the
database that just failed.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import AnonymousUserMixin

import ops
from console.blueprint import bp


def database_down(error):
    ops.database_down(error)
    page = current_app.jinja_env.get_template("console/unavailable.html")
    body = page.render(request=request, current_user=AnonymousUserMixin(), practice=None)
    return body, 503, {"Retry-After": str(ops.RETRY_AFTER_SECONDS)}


for _outage in ops.DATABASE_DOWN:
    bp.register_error_handler(_outage, database_down)
