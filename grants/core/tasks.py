"""Background work: the Celery application bound to a Flask app, and the one way to queue a task.

Feature code never imports the tasks (they live in `workers/`, a thin shell above the app): it
queues one by name with `queue_task(DELIVER_EMAIL, message_id)`. `workers/tasks.py` registers each
task under the name below; `workers/celery_app.py` adds the beat schedule.

Broker: Redis when REDIS_URL is set, else kombu's SQLAlchemy transport on a SQLite file under
instance/ (no external service). Results are not kept: tasks write what they did to the database.
With CELERY_ALWAYS_EAGER the task runs at once in the calling process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from celery import Celery

# The tasks, by name (the names are what the broker carries: keep them stable).
DELIVER_EMAIL = "workers.tasks.deliver_email"
SWEEP_OUTBOX = "workers.tasks.sweep_outbox"
SEND_INDEXATION_NOTICES = "workers.tasks.send_indexation_notices"
SWEEP_INDEXATION_NOTICES = "workers.tasks.sweep_indexation_notices"
SEND_REPORT_REMINDERS = "workers.tasks.send_report_reminders"
DAILY_ACCOUNTABILITY = "workers.tasks.daily_accountability"
DELIVER_EMAILS = "workers.tasks.deliver_emails"
BUILD_PROGRAM_REPORT = "workers.tasks.build_program_report"
# The coordination cell: load an import file, refresh the matching (organizations and flags),
# build the budget dashboard's PDF. Each takes a BackgroundJob id (grants.core.jobs).
IMPORT_FUNDING = "workers.tasks.import_funding"
REFRESH_MATCHING = "workers.tasks.refresh_matching"
BUILD_BUDGET_REPORT = "workers.tasks.build_budget_report"


def make_celery(app: Flask) -> Celery:
    """The app's Celery: every task runs inside the app's context."""
    from celery import Celery, Task

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
        imports=tuple(app.config.get("CELERY_TASK_MODULES", ())),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def celery_for(app: Flask) -> Celery:
    """The app's Celery, made on first use: an app built without it (a command, `web=False`)
    imports Celery only if it queues a task."""
    return app.extensions.get("celery") or make_celery(app)


def queue_task(name: str, *args: Any, **kwargs: Any) -> None:
    """Hand the task `name` to the broker of the current app (or run it now in eager mode).

    Raises when the broker cannot be reached: callers whose work is kept in the database (the
    outbox, the notices of a run) log it and leave the rest to the periodic sweep."""
    celery = celery_for(current_app._get_current_object())  # type: ignore[attr-defined]
    if celery.conf.task_always_eager:
        celery.loader.import_default_modules()
        celery.tasks[name].apply(args=args, kwargs=kwargs)
        return
    celery.send_task(name, args=args, kwargs=kwargs)
