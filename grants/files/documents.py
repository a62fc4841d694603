"""Documents the product writes (agreements, acknowledgements, indexation notices): rendered once
to PDF, stored, and served as stored, never re-rendered behind the reader's back."""

from __future__ import annotations

from typing import Any

from grants.core.pdf import render_pdf
from grants.files.models import StoredFile
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
