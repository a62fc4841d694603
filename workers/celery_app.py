"""The Celery application, bound to a Flask app so every task runs inside its app context.

Broker: Redis when REDIS_URL is set, else kombu's SQLAlchemy transport on a SQLite file under
instance/ (no external service). Results are not kept: tasks write what they did to the database.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask


def make_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        task_ignore_result=True,
        result_backend=None,
        task_always_eager=app.config.get("CELERY_ALWAYS_EAGER", False),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        timezone=app.config["BABEL_DEFAULT_TIMEZONE"],
        enable_utc=True,
        imports=("workers.tasks",),
        beat_schedule=beat_schedule(app),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def celery_for(app: Flask) -> Celery:
    """The app's Celery, made on first use: an app built without it (a command, `web=False`)
    imports Celery only if it queues an email."""
    return app.extensions.get("celery") or make_celery(app)


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    return {
        "sweep-outbox": {
            "task": "workers.tasks.sweep_outbox",
            "schedule": app.config["MAIL_SWEEP_INTERVAL"],
        },
        "sweep-indexation-notices": {
            "task": "workers.tasks.sweep_indexation_notices",
            "schedule": app.config["MAIL_SWEEP_INTERVAL"],
        },
        # Daily, in Quebec time (the app's timezone): report reminders and overdue notices.
        "report-reminders": {
            "task": "workers.tasks.send_report_reminders",
            "schedule": crontab(
                hour=app.config.get("REPORT_REMINDERS_HOUR", 6),
                minute=app.config.get("REPORT_REMINDERS_MINUTE", 0),
            ),
        },
    }


def _create() -> Celery:
    from grants import create_app

    return create_app().extensions["celery"]


_celery: Celery | None = None


def __getattr__(name: str) -> Any:
    """`celery -A workers.celery_app:celery` builds the Flask app and its Celery on first use."""
    global _celery
    if name in {"celery", "app"}:
        if _celery is None:
            _celery = _create()
        return _celery
    raise AttributeError(name)
