"""Where file bytes live: content-addressed under FILE_STORAGE_PATH, written once, read back safely."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Response, current_app

from grants.core.db import db
from grants.files.models import StoredFile


def _root() -> Path:
    root = Path(
        current_app.config.get("FILE_STORAGE_PATH") or Path(current_app.config["INSTANCE_PATH"]) / "files"
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


def _path(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256


def store(
    data: bytes,
    *,
    original_name: str,
    media_type: str,
    organization_id: int | None = None,
    uploaded_by: Any = None,
) -> StoredFile:
    """Write the bytes (once per distinct content) and add their row to the current transaction."""
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    stored = StoredFile(
        sha256=digest,
        size=len(data),
        media_type=media_type,
        original_name=original_name[:255],
        organization_id=organization_id,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def read(stored: StoredFile) -> bytes:
    return _path(stored.sha256).read_bytes()


def download(stored: StoredFile, *, inline: bool = False) -> Response:
    """Answer with the file; callers check access first (the permission layer), never after."""
    from urllib.parse import quote

    response = Response(read(stored), mimetype=stored.media_type)
    disposition = "inline" if inline else "attachment"
    ascii_name = stored.original_name.encode("ascii", "replace").decode().replace('"', "")
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.original_name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
