"""Flask extensions, created unbound here and bound to the app in create_app().

Each is made on first use: a command that needs only the database (`grants cpi rate`) never
imports Flask-Migrate (and Alembic), Flask-WTF or Flask-Login's sign-in machinery.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask_babel import Babel
    from flask_login import LoginManager
    from flask_migrate import Migrate
    from flask_wtf.csrf import CSRFProtect

    babel: Babel
    login_manager: LoginManager
    migrate: Migrate
    csrf: CSRFProtect

_FACTORIES = {
    "babel": ("flask_babel", "Babel"),
    "login_manager": ("flask_login", "LoginManager"),
    "migrate": ("flask_migrate", "Migrate"),
    "csrf": ("flask_wtf.csrf", "CSRFProtect"),
}
_made: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name not in _FACTORIES:
        raise AttributeError(name)
    if name not in _made:
        module, factory = _FACTORIES[name]
        _made[name] = getattr(import_module(module), factory)()
    return _made[name]
