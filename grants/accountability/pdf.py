"""The submitted version of a report, as a PDF kept on the report: rendered once at each submission,
stored, emailed with the acknowledgement, never re-rendered behind anyone's back."""

from __future__ import annotations

from grants.accountability.models import Report
from grants.accountability.queries import indicators_of, settings_for
from grants.accountability.validation import unspent_of, variables_for
from grants.core.pdf import render_pdf
from grants.files.models import StoredFile
from grants.files.storage import store


def store_submitted_version(report: Report) -> StoredFile:
    settings = settings_for(report.program_id)
    data = render_pdf(
        "pdf/report.html",
        language="fr",
        report=report,
        indicators=indicators_of(report.program_id),
        variables=variables_for(settings),
        unspent=unspent_of(report, settings),
    )
    stored = store(
        data,
        original_name=f"rapport-{report.agreement.number}-{report.kind}-{report.fiscal_year}.pdf",
        media_type="application/pdf",
        organization_id=report.organization_id,
    )
    report.pdf_file_id = stored.id
    return stored
