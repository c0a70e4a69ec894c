"""The Flask extensions, created once here and bound to the app by `app.create_app`.

They live apart from the factory so that blueprints, notifications, ops and the worker can
import `db` without importing the module that imports them (microblog's extensions,
flaskr's `db.py`): imports then run one way, app -> blueprints -> extensions -> core.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()

LANGUAGES = ("de", "en")  # the UI languages Babel serves; `?lang=` may pick one
