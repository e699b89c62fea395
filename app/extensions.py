"""Extension objects, created unbound; ``create_app`` binds them. Nothing runs on import."""

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# model_class=Model puts our tables and FAB's in one metadata, which Alembic needs.
db = SQLA(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()
