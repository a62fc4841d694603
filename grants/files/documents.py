"""Documents kept on an organization's files: those the product writes (agreements,
acknowledgements, indexation notices: rendered once to PDF, stored, served as stored, never
re-rendered behind the reader's back), and those people upload once checked (grants.files.sniffing)."""

from __future__ import annotations

from typing import Any

from grants.core.pdf import render_pdf
from grants.files.models import StoredFile
from grants.files.sniffing import AcceptedFile
from grants.files.storage import store

PDF = "application/pdf"


def render_and_store(
    template: str,
    *,
    name: str,
    organization_id: int | None,
    language: str = "fr",
    actor: Any = None,
    **context: Any,
) -> StoredFile:
    """Render `templates/<template>` to PDF in `language` with `context`, store it as `name` (the
    file name people download) on the organization's files, and answer the stored file (flushed)."""
    data = render_pdf(template, language=language, **context)
    return store(data, original_name=name, media_type=PDF, organization_id=organization_id, uploaded_by=actor)


def store_upload(upload: AcceptedFile, *, organization_id: int | None, actor: Any = None) -> StoredFile:
    """Keep an upload that passed the content check, under the name it was sent with."""
    return store(
        upload.data,
        original_name=upload.filename,
        media_type=upload.media_type,
        organization_id=organization_id,
        uploaded_by=actor,
    )
