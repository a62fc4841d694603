"""The indexation notice (avis d'indexation): one PDF per indexed grant, stored on the line and
emailed to the organization. Built by Celery after the run is applied; a notice already built is
never built again, so the task can run twice."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_

from grants.core.db import db
from grants.files.documents import render_and_store
from grants.indexation.models import IndexationLine, IndexationRun
from grants.indexation.workflow import RunStatus
from grants.notifications import events
from grants.notifications.operations import notify
from grants.payments.operations import schedule_of

BATCH = 50
log = logging.getLogger(__name__)


def dispatch_notices(run_id: int) -> None:
    """After the commit that applied a run: hand its notices to Celery. With the broker down they
    wait for the beat's sweep (workers.tasks.sweep_indexation_notices); nothing is lost."""
    from grants.core.tasks import SEND_INDEXATION_NOTICES, queue_task

    try:
        queue_task(SEND_INDEXATION_NOTICES, run_id)
    except Exception as error:
        log.warning("broker unavailable, notices of run %s wait for the sweep: %s", run_id, error)


def _missing_notice() -> Any:
    """An indexed line of an applied run whose notice is not built yet (joined to its run)."""
    return and_(
        IndexationRun.status == RunStatus.APPLIED,
        IndexationLine.is_kept,
        IndexationLine.notice_file_id.is_(None),
    )


def pending_lines(run_id: int, limit: int = BATCH) -> list[IndexationLine]:
    return list(
        db.session.scalars(
            db.select(IndexationLine)
            .join(IndexationRun)
            .where(
                IndexationLine.run_id == run_id,
                _missing_notice(),
            )
            .order_by(IndexationLine.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=IndexationLine)  # two workers never build one notice
        )
    )


def notice_context(line: IndexationLine) -> dict[str, Any]:
    """What the notice shows: the run (rate), the line (amounts), the agreement, and the fiscal
    year's schedule as the organization sees it (cancelled installments left out)."""
    run, agreement = line.run, line.agreement
    installments = schedule_of(agreement.id, run.fiscal_year)
    return {"run": run, "line": line, "agreement": agreement, "installments": installments}


def runs_missing_notices() -> list[int]:
    """The applied runs with an indexed line still without its notice (the beat's sweep)."""
    return list(
        db.session.scalars(
            db.select(IndexationRun.id).join(IndexationLine).where(_missing_notice()).distinct()
        )
    )


def build_notice(line: IndexationLine) -> Any:
    """Render and store the notice of one line in the organization's language (the agreement it
    applies stays French, as signed), and queue the organization's email with it."""
    run, agreement = line.run, line.agreement
    stored = render_and_store(
        "pdf/indexation_notice.html",
        name=f"avis-indexation-{agreement.number}-{run.fiscal_year}.pdf",
        organization_id=agreement.organization_id,
        language=agreement.organization.preferred_language or "fr",
        **notice_context(line),
    )
    line.notice_file_id = stored.id
    notify(events.INDEXATION_NOTICE, agreement=agreement, run=run, line=line, attachment_file_ids=[stored.id])
    return stored


def send_notices(run_id: int) -> int:
    """Build every missing notice of an applied run, committing by batches. Answers how many."""
    built = 0
    while True:
        lines = pending_lines(run_id)
        if not lines:
            return built
        for line in lines:
            build_notice(line)
            built += 1
        db.session.commit()
