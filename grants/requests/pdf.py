"""The acknowledgement of receipt: rendered at submission, kept on the file, emailed."""

from __future__ import annotations

from grants.core.pdf import render_pdf
from grants.files.models import StoredFile
from grants.files.storage import store
from grants.requests.models import FundingRequest


def store_acknowledgement(funding_request: FundingRequest) -> StoredFile:
    data = render_pdf("pdf/acknowledgement.html", language="fr", funding_request=funding_request)
    stored = store(
        data,
        original_name=f"accuse-reception-{funding_request.reference}.pdf",
        media_type="application/pdf",
        organization_id=funding_request.organization_id,
    )
    funding_request.acknowledgement_file_id = stored.id
    return stored
