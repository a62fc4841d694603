"""The worker's entry point: `celery -A workers.celery_app:celery worker|beat`.

The Celery application itself is made by the app factory (grants.core.tasks.make_celery); this
shell builds the Flask app, registers the tasks (workers.tasks) and adds the beat schedule.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.schedules import crontab
from flask import Flask

from grants.core.tasks import (
    DAILY_ACCOUNTABILITY,
    SEND_REPORT_REMINDERS,
    SWEEP_INDEXATION_NOTICES,
    SWEEP_OUTBOX,
)


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    return {
        "sweep-outbox": {
            "task": SWEEP_OUTBOX,
            "schedule": app.config["MAIL_SWEEP_INTERVAL"],
        },
        "sweep-indexation-notices": {
            "task": SWEEP_INDEXATION_NOTICES,
            "schedule": app.config["MAIL_SWEEP_INTERVAL"],
        },
        # Daily, in Quebec time (the app's timezone): report schedules rebuilt and late reports'
        # installments held, then report reminders and overdue notices.
        "daily-accountability": {
            "task": DAILY_ACCOUNTABILITY,
            "schedule": crontab(
                hour=app.config.get("DAILY_ACCOUNTABILITY_HOUR", 5),
                minute=app.config.get("DAILY_ACCOUNTABILITY_MINUTE", 30),
            ),
        },
        "report-reminders": {
            "task": SEND_REPORT_REMINDERS,
            "schedule": crontab(
                hour=app.config.get("REPORT_REMINDERS_HOUR", 6),
                minute=app.config.get("REPORT_REMINDERS_MINUTE", 0),
            ),
        },
    }


def _create() -> Celery:
    from grants import create_app
    from workers import tasks  # noqa: F401  (registers the tasks on the app's Celery)

    app = create_app()
    celery: Celery = app.extensions["celery"]
    celery.conf.beat_schedule = beat_schedule(app)
    return celery


_celery: Celery | None = None


def __getattr__(name: str) -> Any:
    """`celery -A workers.celery_app:celery` builds the Flask app and its Celery on first use."""
    global _celery
    if name in {"celery", "app"}:
        if _celery is None:
            _celery = _create()
        return _celery
    raise AttributeError(name)
