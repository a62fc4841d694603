"""What a file really is, read from its bytes (never from its name), and whether we accept it.

PDF is always accepted; the usual office formats (OOXML, OpenDocument, legacy OLE2) only where
the program allows them. Executables, archives and anything unrecognized are refused with a
message that says why, in the user's language.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class FileKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    OLE2 = "ole2"  # legacy .doc / .xls / .ppt


MEDIA_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileKind.ODT: "application/vnd.oasis.opendocument.text",
    FileKind.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    FileKind.OLE2: "application/octet-stream",
}
OFFICE_KINDS = frozenset(MEDIA_TYPES) - {FileKind.PDF}
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_EXECUTABLE_MAGICS = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")


class UploadRefused(ValueError):
    """The file cannot be accepted; `message` says why, for the person who sent it."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class AcceptedFile:
    kind: FileKind
    media_type: str
    data: bytes
    filename: str


def detect(data: bytes) -> FileKind | None:
    """The kind of document these bytes hold, or None when it is not one we know."""
    head = data[:1024]
    if b"%PDF-" in head[:1024] and data.lstrip()[:5] == b"%PDF-":
        return FileKind.PDF
    if data[:8] == _OLE2_MAGIC:
        return FileKind.OLE2
    if data[:4] == b"PK\x03\x04":
        return _detect_zip_document(data)
    return None


def _detect_zip_document(data: bytes) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype == MEDIA_TYPES[FileKind.ODT]:
                    return FileKind.ODT
                if mimetype == MEDIA_TYPES[FileKind.ODS]:
                    return FileKind.ODS
                return None
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return FileKind.DOCX
                if any(name.startswith("xl/") for name in names):
                    return FileKind.XLSX
                if any(name.startswith("ppt/") for name in names):
                    return FileKind.PPTX
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def check_upload(data: bytes, filename: str, *, max_bytes: int, allow_office: bool = False) -> AcceptedFile:
    """Accept the file or raise UploadRefused with the reason (empty, too large, wrong type)."""
    name = (filename or "document").replace("\\", "/").rsplit("/", 1)[-1][:255] or "document"
    if not data:
        raise UploadRefused(_l("Le fichier « %(name)s » est vide.", name=name))
    if len(data) > max_bytes:
        raise UploadRefused(
            _l(
                "Le fichier « %(name)s » dépasse la taille permise de %(limit)s Mo.",
                name=name,
                limit=max(1, max_bytes // (1024 * 1024)),
            )
        )
    kind = detect(data)
    if kind is None:
        if data.startswith(_EXECUTABLE_MAGICS):
            raise UploadRefused(
                _l("Le fichier « %(name)s » est un programme, pas un document : il est refusé.", name=name)
            )
        raise UploadRefused(_allowed_message(name, allow_office))
    if kind in OFFICE_KINDS and not allow_office:
        raise UploadRefused(_allowed_message(name, allow_office))
    if kind is FileKind.PDF and not _pdf_is_readable(data):
        raise UploadRefused(_l("Le fichier « %(name)s » n'est pas un PDF lisible.", name=name))
    return AcceptedFile(kind=kind, media_type=MEDIA_TYPES[kind], data=data, filename=name)


def _allowed_message(name: str, allow_office: bool) -> object:
    if allow_office:
        return _l(
            "Le fichier « %(name)s » n'est pas d'un format accepté : envoyez un PDF ou un document "
            "Word, Excel ou OpenDocument.",
            name=name,
        )
    return _l("Le fichier « %(name)s » n'est pas un PDF : ce programme n'accepte que des PDF.", name=name)


def _pdf_is_readable(data: bytes) -> bool:
    """A PDF header on a file that pypdf cannot open is a renamed or broken file."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return len(reader.pages) >= 1
    except (PdfReadError, ValueError, KeyError, OSError, TypeError):
        return False
