"""Where file bytes live: content-addressed under FILE_STORAGE_PATH, written once, read back safely.

A file reaches its final path only when the transaction that stored its row commits: until then
the bytes wait in `.pending/`, and a rollback (a crash during a submission, a refused decision)
deletes them, so no transaction leaves an orphan file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from grants.core.db import db
from grants.files.models import StoredFile
from grants.files.sniffing import clean_filename

_PENDING_KEY = "grants.files.pending"  # session.info: sha256 -> (temporary path, final path)
_PENDING_DIR = ".pending"


def _root() -> Path:
    root = Path(
        current_app.config.get("FILE_STORAGE_PATH") or Path(current_app.config["INSTANCE_PATH"]) / "files"
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


def _path(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256


def _pending(session: Session) -> dict[str, tuple[Path, Path]]:
    return session.info.setdefault(_PENDING_KEY, {})


def store(
    data: bytes,
    *,
    original_name: str,
    media_type: str,
    organization_id: int | None = None,
    uploaded_by: Any = None,
) -> StoredFile:
    """Add the file's row to the current transaction; its bytes reach their place at commit."""
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest)
    session = db.session()
    pending = _pending(session)
    if not path.exists() and digest not in pending:
        waiting = _root() / _PENDING_DIR
        waiting.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=waiting, prefix=digest[:16] + "-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        pending[digest] = (Path(temporary), path)
    stored = StoredFile(
        sha256=digest,
        size=len(data),
        media_type=media_type,
        original_name=clean_filename(original_name),
        organization_id=organization_id,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


@event.listens_for(Session, "after_commit")
def _move_pending_files(session: Session) -> None:
    """The rows are committed: put their bytes at their content-hash path."""
    for temporary, final in session.info.pop(_PENDING_KEY, {}).values():
        if final.exists():
            temporary.unlink(missing_ok=True)
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)


@event.listens_for(Session, "after_transaction_end")
def _discard_pending_files(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (rollback, close): drop its bytes."""
    if transaction.parent is not None or transaction.nested:
        return
    for temporary, _final in session.info.pop(_PENDING_KEY, {}).values():
        temporary.unlink(missing_ok=True)


def sweep_pending(max_age_seconds: float = 24 * 3600) -> int:
    """Delete pending bytes left by a process that died before its transaction ended."""
    waiting = _root() / _PENDING_DIR
    if not waiting.is_dir():
        return 0
    removed = 0
    limit = time.time() - max_age_seconds
    for item in waiting.iterdir():
        if item.is_file() and item.stat().st_mtime < limit:
            item.unlink(missing_ok=True)
            removed += 1
    return removed


def read(stored: StoredFile) -> bytes:
    """The file's bytes, also before the transaction that stored it commits."""
    waiting = _pending(db.session()).get(stored.sha256)
    if waiting is not None and waiting[0].exists():
        return waiting[0].read_bytes()
    return _path(stored.sha256).read_bytes()


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition header safe for any stored name: an ASCII fallback with nothing that
    could end the header or the quoted string, and the real name in RFC 5987 `filename*`."""
    name = clean_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in ascii_name).strip() or "document"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(stored: StoredFile, *, inline: bool = False) -> Response:
    """Answer with the file; callers check access first (the permission layer), never after."""
    response = Response(read(stored), mimetype=stored.media_type)
    response.headers["Content-Disposition"] = content_disposition(stored.original_name, inline=inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
