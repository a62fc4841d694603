"""The agreement document: rendered once per version from its frozen terms, stored, served as stored."""

from __future__ import annotations

from grants.agreements.models import AgreementVersion
from grants.files.documents import render_and_store
from grants.files.models import StoredFile


def render_version_pdf(version: AgreementVersion, *, language: str = "fr") -> StoredFile:
    """Render the version's PDF (French, the language of the signed document) and store it."""
    agreement = version.agreement
    suffix = "" if version.number == 1 else f"-avenant-{version.number - 1}"
    stored = render_and_store(
        "pdf/agreement.html",
        name=f"convention-{agreement.number}{suffix}.pdf",
        organization_id=agreement.organization_id,
        language=language,
        agreement=agreement,
        version=version,
        terms=version.terms,
    )
    version.pdf_file_id = stored.id
    return stored
