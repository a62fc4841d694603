"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
login_manager = LoginManager()
migrate = Migrate()
csrf = CSRFProtect()
