"""The Flask extensions, created once and bound to an app in its factory."""

from __future__ import annotations

from typing import TypeAlias

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import Session, scoped_session

from app.models.base import ConsoleBase, IntakeBase
from app.web.csrf_protect import MethodFirstCSRFProtect
from app.web.fair_limiter import FairLimiter
from app.web.fixed_talisman import FixedTalisman
from app.web.privacy_logging import anonymous_client_key

intake_db = SQLAlchemy(model_class=IntakeBase)
console_db = SQLAlchemy(model_class=ConsoleBase)
login_manager = LoginManager()
csrf = MethodFirstCSRFProtect()  # Flask-WTF's, a GET let through before its exemption lookups
migrate = Migrate()
talisman = FixedTalisman()  # Flask-Talisman, each view's headers built once

# The one data-access style: domain functions take the session as their first
# argument, annotated `DbSession`. Views pass the extension's request-scoped
# session (`console_db.session`); tests and scripts may pass a plain `Session`.
DbSession: TypeAlias = Session | scoped_session[FlaskSession]

limiter = FairLimiter(key_func=anonymous_client_key, default_limits=[], headers_enabled=False)
