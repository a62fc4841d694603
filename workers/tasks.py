"""Thin Celery tasks: each calls one grants operation inside the Flask app context. Each is
registered under its name from grants.core.tasks, the name feature code queues it by."""

from __future__ import annotations

from celery import shared_task

from grants.core.db import db
from grants.core.tasks import (
    BUILD_BUDGET_REPORT,
    BUILD_PROGRAM_REPORT,
    DAILY_ACCOUNTABILITY,
    DELIVER_EMAIL,
    DELIVER_EMAILS,
    IMPORT_FUNDING,
    REFRESH_MATCHING,
    SEND_INDEXATION_NOTICES,
    SEND_REPORT_REMINDERS,
    SWEEP_INDEXATION_NOTICES,
    SWEEP_OUTBOX,
)


@shared_task(bind=True, name=DELIVER_EMAIL, max_retries=None)
def deliver_email(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one outbox message; on an SMTP failure try again later (the message is never lost)."""
    from grants.notifications.operations import Delivery, deliver

    try:
        outcome, retry_in = deliver(message_id)
    finally:
        db.session.remove()
    if outcome is Delivery.FAILED and not self.request.is_eager:
        raise self.retry(countdown=retry_in)
    # Run in the caller's process (CELERY_ALWAYS_EAGER), a retry would try again at once, over and
    # over: the message stays queued in the outbox and the sweep hands it over later.
    return outcome.value


@shared_task(name=SWEEP_OUTBOX)
def sweep_outbox() -> int:
    """Hand over queued messages the broker may have lost (sent to it while it was down)."""
    from grants.notifications.operations import due_messages

    try:
        message_ids = due_messages()
    finally:
        db.session.remove()
    for message_id in message_ids:
        deliver_email.delay(message_id)
    return len(message_ids)


@shared_task(name=SEND_INDEXATION_NOTICES)
def send_indexation_notices(run_id: int) -> int:
    """Render and email the notices of an applied indexation run (safe to run twice)."""
    from grants.indexation.notices import send_notices

    try:
        return send_notices(run_id)
    finally:
        db.session.remove()


@shared_task(name=SWEEP_INDEXATION_NOTICES)
def sweep_indexation_notices() -> int:
    """Hand over applied runs whose notices are missing (the broker was down at application)."""
    from grants.indexation.notices import runs_missing_notices

    try:
        run_ids = runs_missing_notices()
    finally:
        db.session.remove()
    for run_id in run_ids:
        send_indexation_notices.delay(run_id)
    return len(run_ids)


@shared_task(name=DAILY_ACCOUNTABILITY)
def daily_accountability() -> dict[str, int]:
    """The daily accountability work, before the reminders: rebuild the report schedules (an
    amendment, or cumulative aid the coordination cell learnt of, changes what a report asks), then
    hold the installments of reports late past their grace period. Both are safe to run twice."""
    from grants.accountability.operations import hold_late_reports, schedule_all

    try:
        changed = schedule_all()
        db.session.commit()
        held = hold_late_reports()
        db.session.commit()
    finally:
        db.session.remove()
    return {"schedules_changed": changed, "reports_held": len(held)}


@shared_task(name=SEND_REPORT_REMINDERS)
def send_report_reminders() -> int:
    """The daily reminder scan: claim the report reminders due today and queue their emails (safe to
    run twice, or retried: each (report, step) is claimed once); then hand the emails to the broker
    in batches (the outbox sweep delivers any this misses)."""
    from grants.accountability.reminders import scan

    try:
        result = scan(dispatch=False)
        db.session.commit()
    finally:
        db.session.remove()
    for start in range(0, len(result.message_ids), DISPATCH_BATCH):
        deliver_emails.delay(result.message_ids[start : start + DISPATCH_BATCH])
    return result.emails


DISPATCH_BATCH = 200


@shared_task(name=DELIVER_EMAILS)
def deliver_emails(message_ids: list[int]) -> int:
    """Fan a batch of outbox messages out to `deliver_email`, one task each (each retried alone)."""
    for message_id in message_ids:
        deliver_email.delay(message_id)
    return len(message_ids)


@shared_task(name=BUILD_PROGRAM_REPORT)
def build_program_report(job_id: int) -> int | None:
    """Build a program report PDF for its background job (progress, file, done or failed)."""
    from grants.accountability.program_report import build_for_job

    try:
        return build_for_job(job_id)
    finally:
        db.session.remove()


@shared_task(name=IMPORT_FUNDING)
def import_funding(job_id: int) -> int | None:
    """Load a CSV of other ministries' funding for its background job (progress, errors, done)."""
    from grants.coordination.imports import load_for_job

    try:
        return load_for_job(job_id)
    finally:
        db.session.remove()


@shared_task(name=REFRESH_MATCHING)
def refresh_matching(job_id: int) -> int | None:
    """Match organizations and find the flags again, for its background job."""
    from grants.coordination.matching_run import refresh_for_job

    try:
        return refresh_for_job(job_id)
    finally:
        db.session.remove()


@shared_task(name=BUILD_BUDGET_REPORT)
def build_budget_report(job_id: int) -> int | None:
    """Build the budget dashboard's PDF for its background job."""
    from grants.coordination.budget_report import build_for_job

    try:
        return build_for_job(job_id)
    finally:
        db.session.remove()
