"""The application on SQLite, as `make run` starts it with nothing configured: a database file and
an embedded broker in a temporary directory. Tests that must hold on both databases (the
concurrency ones) run their scenario inside its context (tests/test_concurrency_sqlite.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grants.core.db import db
from tests.conftest import IsolatedClient


def make_sqlite_app(directory: Path) -> Any:
    """A migrated SQLite application with the reference data, in `directory`."""
    from config import TestConfig
    from grants import create_app

    class SQLiteConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'grants.sqlite'}"
        SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
        # Nothing consumes this broker: emails stay in the outbox, away from the suite's worker.
        CELERY_BROKER_URL = f"sqla+sqlite:///{directory / 'broker.sqlite'}"
        FILE_STORAGE_PATH = str(directory / "files")

    application = create_app(SQLiteConfig)
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        from grants.cli import load_reference

        upgrade()
        load_reference()
        db.session.commit()
        db.session.remove()
    return application


def restore_celery(app: Any) -> None:
    """Building or entering an app makes its Celery the default one: give it back."""
    celery = app.extensions["celery"]
    celery.set_default()
    celery.set_current()
