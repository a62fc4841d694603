"""Health check, migrations in step with the models, the append-only audit trail, translations."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from grants.core.audit import AuditEntry, record
from grants.core.db import db

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_checks_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_healthz_reports_a_broker_outage():
    from config import TestConfig
    from grants import create_app

    class BrokerDown(TestConfig):
        CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    app = create_app(BrokerDown)
    try:
        response = app.test_client().get("/healthz")
    finally:
        from flask import current_app

        current_app.extensions["celery"].set_default()
        current_app.extensions["celery"].set_current()
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["broker"].startswith("error")


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_audit_trail_is_append_only():
    entry = record("test.happened", object_type="Thing", object_id=1, changes={"a": [1, 2]})
    db.session.commit()
    entry.action = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_entries SET action = 'x'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_entries"))
    assert db.session.query(AuditEntry).filter_by(action="test.happened").count() == 1


def test_english_catalog_translates_every_message():
    from babel.messages.extract import extract_from_dir

    with open(ROOT / "grants/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    method_map = [
        ("grants/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords, options_map={}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    missing = sorted(m for m in found if not catalog.get(m) or not catalog.get(m).string)
    assert missing == [], "run `make translations-update` and translate: " + "; ".join(missing[:10])
