"""How payments reads the state of the reports that release installments: registered with
`grants.payments.release.register_report_states` when this module is imported (the app factory
does, for the web app, the `grants` command and the Celery worker alike), so the arrow runs from
accountability to payments, never back."""

from __future__ import annotations

from grants.accountability.queries import reports_of_agreement
from grants.accountability.workflow import ReportStatus
from grants.payments.release import ReportState, register_report_states


def report_states(agreement_id: int) -> list[ReportState]:
    """The agreement's live reports (the calendar the acceptance authorizes by), with their state."""
    return [
        ReportState(
            due=report.as_due(),
            accepted=ReportStatus(report.status) is ReportStatus.ACCEPTED,
            status=ReportStatus(report.status),
        )
        for report in reports_of_agreement(agreement_id, live_only=True)
    ]


register_report_states(report_states)
