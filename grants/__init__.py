"""Subventions: grant program management for Quebec's fight against sexual exploitation."""

from __future__ import annotations

import os
from importlib import import_module

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from config import ROOT

BLUEPRINTS = (
    "grants.core.views",
    "grants.accounts.views",
    "grants.accounts.admin_views",
    "grants.home.views",
    "grants.organizations.views",
    "grants.programs.views",
    "grants.calls.views",
    "grants.requests.views",
    "grants.review.views",
    "grants.agreements.views",
    "grants.payments.views",
    "grants.cpi.views",
    "grants.indexation.views",
    "grants.reference.views",
    "grants.notifications.views",
    "grants.audit.views",
    "grants.accountability.views",
    "grants.coordination.views",
)


def create_app(config_object: str | type | None = None, *, web: bool = True) -> Flask:
    """Build the application: configuration, extensions, blueprints; nothing else.

    `web=False` builds what a command that reads and computes needs (the database, the models,
    the languages) and leaves out the pages, sign-in, CSRF, migrations and Celery (made on first
    use if an email is queued): `grants cpi rate` starts in a fraction of a second."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_object or os.environ.get("GRANTS_CONFIG", "config.Config"))
    os.makedirs(app.config["INSTANCE_PATH"], exist_ok=True)

    from grants.core import extensions, templating
    from grants.core.db import db
    from grants.core.i18n import select_locale
    from grants.notifications.operations import dispatch_after_commit, forget_after_rollback

    db.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale)
    _import_models()
    templating.init_app(app)
    if not event.contains(Session, "after_commit", dispatch_after_commit):
        event.listen(Session, "after_commit", dispatch_after_commit)
        event.listen(Session, "after_soft_rollback", forget_after_rollback)
    if web:
        _init_web(app)
    return app


def _init_web(app: Flask) -> None:
    """Pages, sign-in, CSRF, migrations, the commands of the full application, and Celery."""
    from grants.accounts.operations import load_user
    from grants.cli import register_commands
    from grants.core import extensions, inputs, permissions, security
    from grants.core.db import db
    from grants.core.tasks import make_celery

    extensions.migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    extensions.csrf.init_app(app)
    login_manager = extensions.login_manager
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    inputs.install(app)  # before the routes are added: they bind the converters
    for module_name in BLUEPRINTS:
        app.register_blueprint(import_module(module_name).blueprint)
    app.before_request(permissions.enforce_sign_in)
    app.after_request(security.add_security_headers)
    register_commands(app)
    make_celery(app)


def _import_models() -> None:
    """Import every model module so SQLAlchemy and Alembic see the whole schema."""
    for name in (
        "grants.reference.models",
        "grants.organizations.models",
        "grants.accounts.models",
        "grants.programs.models",
        "grants.files.models",
        "grants.calls.models",
        "grants.requests.models",
        "grants.review.models",
        "grants.agreements.models",
        "grants.payments.models",
        "grants.accountability.models",
        "grants.cpi.models",
        "grants.indexation.models",
        "grants.notifications.models",
        "grants.coordination.models",
        "grants.core.audit",
        "grants.accounts.queries",  # registers who receives an organization's or a program's email
        "grants.coordination.cumulative_aid",  # registers the cumulative aid reporting obligations use
        "grants.accountability.releases",  # registers the report states installments wait for
        "grants.core.jobs",
    ):
        import_module(name)
