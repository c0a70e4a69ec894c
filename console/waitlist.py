"""The waiting list per branch: who waits for an earlier time, up to which day, and what
became of their latest offer. Read-only; the rules are core.waitlist's."""

from __future__ import annotations

from console.blueprint import bp
from console.common import chosen_branch, practice
from console.render import render
from core import waitlist
from extensions import db


def waitlist_context() -> dict:
    p = practice()
    branch = chosen_branch(p)
    entries = waitlist.waiting(db.session, p.id, branch.id) if branch else []
    return {"practice": p, "branch": branch, "entries": entries}


@bp.get("/waitlist")
def waitlist_view():
    return render("console/waitlist.html", **waitlist_context())
