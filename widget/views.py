"""Widget pages under /w/<practice-slug>/."""

from flask import abort, render_template
from sqlalchemy import select

from app import db
from core.models import Practice
from widget import bp


def load_practice(slug: str) -> Practice:
    practice = db.session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        abort(404)
    return practice


@bp.get("/<slug>/")
def entry(slug: str):
    practice = load_practice(slug)
    return render_template("widget/entry.html", practice=practice)
