"""The submitted version of a report, as a PDF kept on the report: rendered once at each submission,
stored, emailed with the acknowledgement, never re-rendered behind anyone's back."""

from __future__ import annotations

from grants.accountability.models import Report
from grants.accountability.queries import indicators_of, settings_for
from grants.accountability.validation import unspent_of, variables_for
from grants.files.documents import render_and_store
from grants.files.models import StoredFile


def store_submitted_version(report: Report) -> StoredFile:
    """Render the report as submitted and keep it as the report's PDF."""
    settings = settings_for(report.program_id)
    report.pdf = render_and_store(
        "pdf/report.html",
        name=f"rapport-{report.agreement.number}-{report.kind}-{report.fiscal_year}.pdf",
        organization_id=report.organization_id,
        report=report,
        indicators=indicators_of(report.program_id),
        variables=variables_for(settings),
        unspent=unspent_of(report, settings),
    )
    return report.pdf
