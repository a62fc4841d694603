"""The indexation notice (avis d'indexation): one PDF per indexed grant, stored on the line and
emailed to the organization. Built by Celery after the run is applied; a notice already built is
never built again, so the task can run twice."""

from __future__ import annotations

import logging
from typing import Any

from grants.core.db import db
from grants.core.pdf import render_pdf
from grants.files.storage import store
from grants.indexation.models import IndexationLine, IndexationRun, RunStatus
from grants.notifications import events
from grants.notifications.operations import notify
from grants.payments.operations import installments_of

BATCH = 50
log = logging.getLogger(__name__)


def dispatch_notices(run_id: int) -> None:
    """After the commit that applied a run: hand its notices to Celery. With the broker down they
    wait for the beat's sweep (workers.tasks.sweep_indexation_notices); nothing is lost."""
    from workers.tasks import send_indexation_notices

    try:
        send_indexation_notices.delay(run_id)
    except Exception as error:
        log.warning("broker unavailable, notices of run %s wait for the sweep: %s", run_id, error)


def pending_lines(run_id: int, limit: int = BATCH) -> list[IndexationLine]:
    return list(
        db.session.scalars(
            db.select(IndexationLine)
            .join(IndexationRun)
            .where(
                IndexationLine.run_id == run_id,
                IndexationRun.status == RunStatus.APPLIED,
                IndexationLine.excluded_reason == "",
                IndexationLine.notice_file_id.is_(None),
            )
            .order_by(IndexationLine.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=IndexationLine)  # two workers never build one notice
        )
    )


def build_notice(line: IndexationLine) -> Any:
    """Render and store the notice of one line, and queue the organization's email with it."""
    run, agreement = line.run, line.agreement
    installments = [i for i in installments_of(agreement.id, run.fiscal_year) if i.status != "cancelled"]
    data = render_pdf(
        "pdf/indexation_notice.html",
        language="fr",
        run=run,
        line=line,
        agreement=agreement,
        installments=installments,
    )
    stored = store(
        data,
        original_name=f"avis-indexation-{agreement.number}-{run.fiscal_year}.pdf",
        media_type="application/pdf",
        organization_id=agreement.organization_id,
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
