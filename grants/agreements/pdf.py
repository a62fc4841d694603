"""The agreement document: rendered once per version from its frozen terms, stored, served as stored."""

from __future__ import annotations

from grants.agreements.models import AgreementVersion
from grants.core.pdf import render_pdf
from grants.files.models import StoredFile
from grants.files.storage import store


def render_version_pdf(version: AgreementVersion, *, language: str = "fr") -> StoredFile:
    """Render the version's PDF (French, the language of the signed document) and store it."""
    agreement = version.agreement
    data = render_pdf(
        "pdf/agreement.html",
        language=language,
        agreement=agreement,
        version=version,
        terms=version.terms,
    )
    suffix = "" if version.number == 1 else f"-avenant-{version.number - 1}"
    stored = store(
        data,
        original_name=f"convention-{agreement.number}{suffix}.pdf",
        media_type="application/pdf",
        organization_id=agreement.organization_id,
    )
    version.pdf_file_id = stored.id
    return stored
