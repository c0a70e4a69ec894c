"""Console pages."""

from flask import render_template
from flask_login import login_required

from console import bp


@bp.get("/")
@login_required
def index():
    return render_template("console/index.html")
