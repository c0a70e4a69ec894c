"""The console's blueprint, in its own module so that page modules import it without
importing the package that imports them (no import ring)."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
