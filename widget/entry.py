"""The entry pages: first the kind of appointment (`/w/<slug>/`), then the branch
(`/w/<slug>/where`), offering only the branches that have that kind and skipping the step
when only one does. A branch that does not offer the kind is never swapped for another
silently: the branch step says so and lets the customer choose."""

from __future__ import annotations

from flask import (
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _

from core.models import Branch, Practice
from widget.blueprint import bp
from widget.choice import Choice, branches_for, online_types
from widget.common import int_arg, load_practice, wurl


@bp.get("/<slug>/")
def entry(slug: str):
    practice = load_practice(slug)
    choice = Choice.from_request(practice)
    types = online_types(practice)
    if "branch" in request.args or (len(types) == 1 and "type" not in request.args):
        return redirect(wurl("widget.where", slug=slug, **_raw_choice(choice, types)))
    return _type_step(practice, choice, types)


@bp.get("/<slug>/where")
def where(slug: str):
    practice = load_practice(slug)
    choice = Choice.from_request(practice)
    types = online_types(practice)
    if choice.kind is None:
        error = _("Please choose what you would like to book.") if types else None
        return _type_step(practice, choice, types, error=error, status=400 if error else 200)
    if choice.complete:
        return redirect(wurl("widget.week", slug=slug, **choice.params()))
    branches = branches_for(choice.kind, practice)
    return render_template(
        "widget/where.html",
        practice=practice,
        choice=choice,
        branches=branches,
        several_types=len(types) > 1,
        refused=_refused_branch(practice, branches),
        missing=request.args.get("step") == "branch" and "branch" not in request.args,
    )


def _type_step(practice: Practice, choice: Choice, types, *, error=None, status=200):
    return render_template(
        "widget/entry.html", practice=practice, types=types, choice=choice, error=error
    ), status


def _raw_choice(choice: Choice, types) -> dict:
    """What the URL asked for (an unknown branch included, so the next step can say so)."""
    values = {"type": choice.kind.id if choice.kind else int_arg("type")}
    if values["type"] is None and len(types) == 1:
        values["type"] = types[0].id
    if "branch" in request.args:
        values["branch"] = request.args["branch"][:10]
    return {k: v for k, v in values.items() if v is not None}


def _refused_branch(practice: Practice, offered: list[Branch]) -> Branch | None:
    """The branch the customer asked for that does not offer the chosen kind."""
    wanted = int_arg("branch")
    if wanted is None or any(b.id == wanted for b in offered):
        return None
    return next((b for b in practice.branches if b.id == wanted), None)
