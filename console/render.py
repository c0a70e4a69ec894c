"""One URL serves the page or its fragment: the one place that reads htmx's headers.

A normal request (or an htmx history restore, or one targeting the body) gets the whole page;
an htmx request gets just the named block of the same template, so page and fragment can never
drift apart. Responses say they vary by HX-Request so caches keep the two apart.
"""

from __future__ import annotations

from flask import current_app, make_response, request


def is_htmx_request() -> bool:
    """Sent by htmx (a poll, a boosted click), whatever it targets."""
    return request.headers.get("HX-Request") == "true"


def is_fragment_request() -> bool:
    return (
        is_htmx_request()
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Target") != "body"
    )


def whole_page_redirect(url: str):
    """Send an htmx request's whole page to `url` (HX-Redirect), or None for a normal request.

    The browser follows a 302 inside htmx's request, so the login page would be swapped into
    the inbox and its poll would stop; htmx's own redirect header loads the page instead."""
    if not is_htmx_request():
        return None
    response = make_response("", 401)
    response.headers["HX-Redirect"] = url
    response.vary.add("HX-Request")
    return response


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
