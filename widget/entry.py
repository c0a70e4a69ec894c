"""The entry page `/w/<slug>/`: choose the kind of appointment and the branch."""

from __future__ import annotations

from flask import (
    redirect,
    render_template,
    request,
)

from core.models import Practice
from widget.blueprint import bp
from widget.choice import Choice, branches_for, online_types
from widget.common import load_practice, wurl


@bp.get("/<slug>/")
def entry(slug: str):
    practice = load_practice(slug)
    choice = Choice.from_request(practice)
    submitted = "type" in request.args or "branch" in request.args
    if choice.complete and (submitted or _nothing_to_choose(practice)):
        return redirect(wurl("widget.week", slug=slug, **choice.params()))
    types = online_types(practice)
    return render_template(
        "widget/entry.html",
        practice=practice,
        types=types,
        choice=choice,
        branches=branches_for(choice.kind, practice),
        missing=submitted and not choice.complete,
    )


def _nothing_to_choose(practice: Practice) -> bool:
    types = online_types(practice)
    return len(types) == 1 and len(branches_for(types[0], practice)) == 1
