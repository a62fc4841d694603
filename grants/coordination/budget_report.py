"""The budget dashboard as a PDF (WeasyPrint), built in the background: `start_budget_report` creates
the job (the page queues it after the commit), the Celery task `BUILD_BUDGET_REPORT` runs
`build_for_job`, which reports its progress through `grants.core.jobs` and stores the file."""

from __future__ import annotations

from typing import Any

from grants.coordination import budget
from grants.core import clock, jobs
from grants.core.db import db
from grants.core.formatting import money_short, percent
from grants.core.tasks import BUILD_BUDGET_REPORT
from grants.reference.models import ActionPlan

JOB_KIND = "budget_report"
TASK_NAME = BUILD_BUDGET_REPORT
# The steps a job counts: gather, render, store.
STEPS = 3


def start_budget_report(
    user: Any, period: budget.Period | str, *, language: str = "fr"
) -> jobs.BackgroundJob:
    """A queued job for the dashboard of `period` (a Period, or its key: `2026` or `plan`), in
    `language`; commit, then hand it to Celery with `jobs.queue_job(TASK_NAME, job)`."""
    key = period.key if isinstance(period, budget.Period) else str(period)
    plan_code = period.plan.code if isinstance(period, budget.Period) else None
    if plan_code is None:
        plan = budget.dashboard_plan()
        plan_code = plan.code if plan is not None else ""
    return jobs.start_job(
        JOB_KIND,
        requested_by=user,
        params={"plan": plan_code, "period": key, "language": language if language in ("fr", "en") else "fr"},
        total=STEPS,
    )


def file_name(period: budget.Period, language: str) -> str:
    return f"budget-par-axe-{period.plan.code}-{period.key}-{language}.pdf"


def render(period: budget.Period, *, language: str = "fr", progress: Any = None) -> bytes:
    """The dashboard as PDF bytes; `progress(done)` is told after each step."""
    from grants.core.pdf import render_pdf

    step = progress or (lambda done: None)
    dashboard = budget.gather(period)
    dashboard.language = language
    step(1)
    data = render_pdf(
        "coordination/pdf/budget.html",
        language=language,
        dashboard=dashboard,
        generated_on=clock.today(),
        money_short=money_short,
        percent=percent,
    )
    step(2)
    return data


def period_of_job(job: jobs.BackgroundJob) -> budget.Period:
    code = job.params.get("plan")
    plan = db.session.execute(db.select(ActionPlan).filter_by(code=code)).scalar_one_or_none()
    plan = plan or budget.dashboard_plan()
    if plan is None:
        raise LookupError("no action plan")
    return budget.period_of(str(job.params.get("period", "")), plan)


def build_for_job(job_id: int) -> int | None:
    """What the Celery task runs: build the job's PDF, store it, mark the job done (the file and the
    job commit together); on any error the job says it failed. Answers the file's id."""
    from grants.files.pdf_jobs import run_pdf_job

    def build(job: jobs.BackgroundJob, progress: Any) -> tuple[bytes, str]:
        period = period_of_job(job)
        language = job.params.get("language", "fr")
        return render(period, language=language, progress=progress), file_name(period, language)

    return run_pdf_job(job_id, build, steps=STEPS, kind=JOB_KIND)


def latest(limit: int = 5) -> list[jobs.BackgroundJob]:
    return jobs.latest_jobs(JOB_KIND, program_id=None, limit=limit)
