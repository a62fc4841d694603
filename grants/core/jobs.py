"""Background jobs with progress: what a long task (a program report, later an import) reports to
the page that asked for it.

A `BackgroundJob` is created `queued` by the view (`start_job`), handed to Celery by name after
the commit (`queue_job`, through `grants.core.tasks.queue_task`), moved to `running` and counted
forward by the task (`advance`), and ends `done` with its result file (`finish`) or `failed`
with a reason (`fail`).
The page shows `templates/core/_job_progress.html`: a `<progress>` that refreshes itself (a meta
refresh, or a few lines of script polling `/taches/<id>` when scripts run) and a download link
once the job is done.

Progress is written on its own short connection (`advance`), so the page sees it while the task's
own transaction is still open; `finish` is written in the task's transaction, so the job is done
exactly when its file is committed. A failure is written on its own connection too: it survives
the rollback of the work that failed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from grants.core.audit import record
from grants.core.db import UTCDateTime, db, utcnow

REASON_MAX = 500


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(JOB_STATUS_LABELS[self])

    @property
    def finished(self) -> bool:
        return self in FINISHED


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: _l("En attente"),
    JobStatus.RUNNING: _l("En cours"),
    JobStatus.DONE: _l("Terminé"),
    JobStatus.FAILED: _l("Échec"),
}
FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED})
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})

# The one table of moves: which statuses each operation may start from.
ALLOWED_FROM = {
    "advance": ACTIVE,
    "finish": ACTIVE,
    "fail": ACTIVE,
}


class JobFinished(Exception):
    """The job already ended: a retried task must not change it again."""


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_kind_program", "kind", "program_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "program_report"
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(String(20), default=JobStatus.QUEUED)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def organization_id(self) -> None:
        return None  # a ministry job: no organization's audit trail

    @property
    def status_label(self) -> str:
        return JobStatus(self.status).label

    @property
    def is_done(self) -> bool:
        return JobStatus(self.status) is JobStatus.DONE

    @property
    def is_failed(self) -> bool:
        return JobStatus(self.status) is JobStatus.FAILED

    @property
    def is_active(self) -> bool:
        return JobStatus(self.status) in ACTIVE

    @property
    def reason_text(self) -> str:
        """Why it failed, for people: a crash is told as such (the details, which may hold SQL
        or paths, go to the worker's log only), a reason a task gave is shown as given."""
        if self.reason.startswith(INTERNAL_ERROR):
            return _(
                "une erreur interne (%(kind)s) l'a interrompue, rien n'a été enregistré ; relancez-la, "
                "et si l'erreur revient, signalez la tâche n° %(id)s",
                kind=self.reason.removeprefix(INTERNAL_ERROR),
                id=self.id,
            )
        return self.reason

    @property
    def percent(self) -> int:
        """0 to 100, for the progress bar (100 once done)."""
        if self.is_done:
            return 100
        if not self.total:
            return 0
        return max(0, min(100, round(100 * self.done / self.total)))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": JobStatus(self.status).value,
            "status_label": self.status_label,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "reason": self.reason_text,
            "finished": JobStatus(self.status).finished,
        }

    def __repr__(self) -> str:
        return f"<BackgroundJob {self.id} {self.kind} {self.status} {self.done}/{self.total}>"


# -- operations ---------------------------------------------------------------------------------------
def start_job(
    kind: str,
    *,
    requested_by: Any,
    program_id: int | None = None,
    params: dict[str, Any] | None = None,
    total: int = 0,
) -> BackgroundJob:
    """A new job, queued (flushed, audited); queue its task with `queue_job` after the commit."""
    job = BackgroundJob(
        kind=kind,
        requested_by_id=getattr(requested_by, "id", None),
        program_id=program_id,
        params=dict(params or {}),
        status=JobStatus.QUEUED,
        total=total,
    )
    db.session.add(job)
    db.session.flush()
    record("job.start", job, actor=requested_by, changes={"kind": kind, "params": job.params})
    return job


def _check(job: BackgroundJob, operation: str) -> None:
    if JobStatus(job.status) not in ALLOWED_FROM[operation]:
        raise JobFinished(f"job {job.id} is {job.status}: cannot {operation}")


def claim(job: BackgroundJob) -> bool:
    """Take a queued job for this runner: `queued` → `running` in one conditional UPDATE, so two
    runners (a task delivered twice, or a command and a worker) never both do the work. False when
    another runner holds it or it has ended."""
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job.id, BackgroundJob.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, started_at=utcnow())
        ).rowcount
    if changed:
        set_committed_value(job, "status", JobStatus.RUNNING)
    return bool(changed)


def advance(job: BackgroundJob, done: int, total: int | None = None) -> None:
    """The task got this far: `running`, `done` of `total` steps, visible at once to the page
    (written and committed on its own connection, whatever the task's transaction does)."""
    _check(job, "advance")
    values: dict[str, Any] = {"status": JobStatus.RUNNING.value, "done": done}
    if total is not None:
        values["total"] = total
    if job.started_at is None:
        values["started_at"] = utcnow()
    _write_apart(job, values)


def finish(job: BackgroundJob, *, result_file_id: int | None = None, actor: Any = None) -> None:
    """Done, with its result: written in the caller's transaction (with the file it points to)."""
    db.session.refresh(job)
    _check(job, "finish")
    job.status = JobStatus.DONE
    job.done = job.total or job.done
    job.result_file_id = result_file_id
    job.finished_at = utcnow()
    job.started_at = job.started_at or job.finished_at
    record("job.finish", job, actor=actor, changes={"status": ["running", "done"], "file": result_file_id})


def fail(job_id: int, reason: str) -> None:
    """Failed, with the reason people read: written and committed apart, so it survives the
    rollback of the work that failed. A job already ended is left as it is."""
    reason = (reason or "").strip()[:REASON_MAX] or "error"
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(BackgroundJob)
            .where(
                BackgroundJob.id == job_id,
                BackgroundJob.status.in_([s.value for s in ACTIVE]),
            )
            .values(status=JobStatus.FAILED.value, reason=reason, finished_at=utcnow())
        ).rowcount
        if changed:
            from grants.core.audit import record_apart

            record_apart(
                connection,
                "job.fail",
                object_type="BackgroundJob",
                object_id=job_id,
                changes={"status": ["running", "failed"], "reason": reason},
            )


INTERNAL_ERROR = "internal:"  # a reason that is a crash: only the exception's class is kept


def fail_with(job_id: int, error: BaseException) -> None:
    """A task's work raised: roll its transaction back and mark the job failed by a crash (the
    caller then re-raises, so the worker logs the whole error; the page says only what kind)."""
    db.session.rollback()
    fail(job_id, INTERNAL_ERROR + type(error).__name__)


def _write_apart(job: BackgroundJob, values: dict[str, Any]) -> None:
    statement = (
        update(BackgroundJob)
        .where(BackgroundJob.id == job.id, BackgroundJob.status.in_([s.value for s in ACTIVE]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if db.engine.dialect.name == "sqlite":
        # SQLite has one writer at a time: a second connection waits for the task's own open
        # transaction and fails (« database is locked », every import under `make run`). There the
        # progress goes with the task's transaction and shows when it commits.
        changed = db.session.execute(statement).rowcount
    else:
        with db.engine.begin() as connection:
            changed = connection.execute(statement).rowcount
    if not changed:
        raise JobFinished(f"job {job.id} has ended: its progress no longer moves")
    # Keep the object the task holds in step, without touching its transaction.
    for key, value in values.items():
        set_committed_value(job, key, JobStatus(value) if key == "status" else value)


def job_for(job_id: int) -> BackgroundJob | None:
    return db.session.get(BackgroundJob, job_id)


def latest_jobs(kind: str, *, program_id: int | None, limit: int = 5) -> list[BackgroundJob]:
    statement = db.select(BackgroundJob).filter_by(kind=kind, program_id=program_id)
    return list(db.session.scalars(statement.order_by(BackgroundJob.id.desc()).limit(limit)))


# -- queueing by name -----------------------------------------------------------------------------------
def queue_job(name: str, job: BackgroundJob) -> bool:
    """Hand the job's task to Celery by its name (`grants.core.tasks`), after the commit that
    created the job. With the broker down, answer False: the job stays queued and the page says
    so, instead of failing the request."""
    import logging

    from grants.core.tasks import queue_task

    try:
        queue_task(name, job.id)
    except Exception as error:
        logging.getLogger(__name__).warning("broker unavailable, job %s not queued: %s", job.id, error)
        return False
    return True
