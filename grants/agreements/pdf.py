"""The agreement document: rendered once per version from its frozen terms, stored, served as stored."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from grants.agreements.models import AgreementVersion
from grants.core.i18n import locale_for_language
from grants.files.documents import render_and_store
from grants.files.models import StoredFile


def language_note(reader_language: str) -> str:
    """The sentence, in the organization's language, that says the agreement is in French because
    it is signed in French ("" for a French-speaking organization, who needs no such note)."""
    if reader_language == "fr":
        return ""
    with force_locale(locale_for_language(reader_language)):
        return gettext("Cette convention est en français, la langue dans laquelle elle est signée.")


def render_version_pdf(version: AgreementVersion, *, language: str = "fr") -> StoredFile:
    """Render the version's PDF (French, the language of the signed document) and store it. For an
    organization that reads English, a note in English says the agreement is in French because it
    is signed in French."""
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
        language_note=language_note(agreement.organization.preferred_language or "fr"),
    )
    version.pdf_file_id = stored.id
    return stored
