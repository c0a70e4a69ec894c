"""One URL serves the page or its fragment: the one place that reads htmx's headers.

A normal request (or an htmx history restore, or one targeting the body) gets the whole page;
an htmx request gets just the named block of the same template, so page and fragment can never
drift apart. Responses say they vary by HX-Request so caches keep the two apart.
"""

from __future__ import annotations

from flask import current_app, make_response, request


def is_fragment_request() -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Target") != "body"
    )


def render(template: str, block: str | None = None, *, status: int = 200, **context):
    """Render `template` whole, or only `block` when htmx asked for a fragment."""
    env = current_app.jinja_env
    current_app.update_template_context(context)
    tmpl = env.get_or_select_template(template)
    if block and is_fragment_request():
        body = "".join(tmpl.blocks[block](tmpl.new_context(context)))
    else:
        body = tmpl.render(context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
