"""The Flask extensions, created once and bound to an app in its factory."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from app.models.base import ConsoleBase, IntakeBase
from app.privacy_logging import anonymous_client_key

intake_db = SQLAlchemy(model_class=IntakeBase)
console_db = SQLAlchemy(model_class=ConsoleBase)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
talisman = Talisman()
limiter = Limiter(key_func=anonymous_client_key, default_limits=[], headers_enabled=False)
