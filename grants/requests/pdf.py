"""The acknowledgement of receipt: rendered at submission, kept on the file, emailed."""

from __future__ import annotations

from grants.files.documents import render_and_store
from grants.files.models import StoredFile
from grants.requests.models import FundingRequest


def store_acknowledgement(funding_request: FundingRequest) -> StoredFile:
    """Render the acknowledgement in the organization's language (it is no signed legal text)."""
    stored = render_and_store(
        "pdf/acknowledgement.html",
        name=f"accuse-reception-{funding_request.reference}.pdf",
        organization_id=funding_request.organization_id,
        language=funding_request.organization.preferred_language or "fr",
        funding_request=funding_request,
    )
    funding_request.acknowledgement_file_id = stored.id
    return stored
