"""What a file really is, read from its bytes (never from its name), and whether we accept it.

PDF is always accepted; the usual office formats (OOXML, OpenDocument, legacy OLE2) only where
the program allows them. Executables, archives and anything unrecognized are refused with a
message that says why, in the user's language. A PDF with active content (JavaScript, actions,
launches, embedded files) is refused; an office archive is judged by the sizes its directory
declares, never by inflating it, so a zip bomb costs nothing to refuse.
"""

from __future__ import annotations

import io
import re
import unicodedata
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

# Office archives: what their central directory may declare. Real documents stay far below.
ARCHIVE_MAX_ENTRIES = 5000
ARCHIVE_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, all entries together
ARCHIVE_MAX_RATIO = 100  # uncompressed / compressed, for an entry over ARCHIVE_RATIO_FLOOR
ARCHIVE_RATIO_FLOOR = 1024 * 1024
_MIMETYPE_MAX = 256

# PDF names that make a document do something by itself, and how we name them to the sender.
_ACTIVE_PDF_NAMES = {
    "/JavaScript": _l("JavaScript"),
    "/JS": _l("JavaScript"),
    "/OpenAction": _l("action à l'ouverture"),
    "/AA": _l("action automatique"),
    "/Launch": _l("lancement d'un programme"),
    "/EmbeddedFile": _l("fichier intégré"),
    "/EmbeddedFiles": _l("fichier intégré"),
}
_ACTIVE_PDF_TOKEN = re.compile(rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?)(?=[\s/<>\[\]()%]|$)")


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
    """OOXML or OpenDocument by the archive's directory; only a tiny `mimetype` entry is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            if "mimetype" in entries:
                info = entries["mimetype"]
                if info.file_size > _MIMETYPE_MAX:
                    return None
                with archive.open(info) as entry:
                    mimetype = entry.read(_MIMETYPE_MAX).decode("ascii", "replace").strip()
                if mimetype == MEDIA_TYPES[FileKind.ODT]:
                    return FileKind.ODT
                if mimetype == MEDIA_TYPES[FileKind.ODS]:
                    return FileKind.ODS
                return None
            if "[Content_Types].xml" in entries:
                if any(name.startswith("word/") for name in entries):
                    return FileKind.DOCX
                if any(name.startswith("xl/") for name in entries):
                    return FileKind.XLSX
                if any(name.startswith("ppt/") for name in entries):
                    return FileKind.PPTX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError):
        return None
    return None


def archive_problem(data: bytes) -> str | None:
    """Why this archive is a bomb, from the sizes its directory declares (nothing is inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None  # not an archive we read: detect() refuses it as an unknown format
    if len(entries) > ARCHIVE_MAX_ENTRIES:
        return "entries"
    total = sum(info.file_size for info in entries)
    if total > ARCHIVE_MAX_UNCOMPRESSED:
        return "size"
    for info in entries:
        if info.file_size > ARCHIVE_RATIO_FLOOR and info.file_size > ARCHIVE_MAX_RATIO * max(
            info.compress_size, 1
        ):
            return "ratio"
    return None


def clean_filename(filename: str | None) -> str:
    """A name safe to store and to send back: no folder, no control or invisible character (line
    breaks, NUL, bidirectional overrides), spaces folded, at most 255 characters, never empty."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_clean_char(char) for char in name)
    name = " ".join(name.split()).strip(" .")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        keep_extension = dot and len(extension) <= 10
        name = stem[: 254 - len(extension)] + dot + extension if keep_extension else name[:255]
    return name or "document"


def _clean_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":  # invisible formatting: zero-width characters, bidirectional overrides
        return ""
    return " " if category[0] in {"C", "Z"} else char


def pdf_active_content(data: bytes) -> list[str]:
    """The active features of a PDF (JavaScript, actions, launches, embedded files), named for the
    sender; empty when there is none. Every object reachable from the trailer is visited (names
    hidden in compressed object streams or written with #xx escapes included), and the raw bytes
    are scanned too, for objects a damaged file keeps outside its cross-reference table."""
    found = {match.group(0).decode("ascii") for match in _ACTIVE_PDF_TOKEN.finditer(data)}
    found |= _pdf_active_names(data)
    labels: list[str] = []
    for name in _ACTIVE_PDF_NAMES:
        if name in found and str(_ACTIVE_PDF_NAMES[name]) not in labels:
            labels.append(str(_ACTIVE_PDF_NAMES[name]))
    return labels


def _pdf_active_names(data: bytes) -> set[str]:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data))
        stack: list[object] = [reader.trailer]
    except Exception:  # an unreadable PDF is refused by _pdf_is_readable
        return set()
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack and visited < 200_000:
        item = stack.pop()
        visited += 1
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                item = item.get_object()
            except Exception:  # a broken object hides nothing we could run
                continue
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _ACTIVE_PDF_NAMES:
                    found.add(key)
                if key == "/S" and value in {"/JavaScript", "/Launch"}:
                    found.add(str(value))
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def check_upload(data: bytes, filename: str, *, max_bytes: int, allow_office: bool = False) -> AcceptedFile:
    """Accept the file or raise UploadRefused with the reason (empty, too large, wrong type,
    archive bomb, active PDF content)."""
    name = clean_filename(filename)
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
    if data[:4] == b"PK\x03\x04" and archive_problem(data) is not None:
        raise UploadRefused(
            _l(
                "Le fichier « %(name)s » est une archive anormalement compressée (elle se décompresserait "
                "en un volume démesuré) : il est refusé. Enregistrez le document de nouveau et envoyez "
                "cette copie.",
                name=name,
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
    if kind is FileKind.PDF:
        if not _pdf_is_readable(data):
            raise UploadRefused(_l("Le fichier « %(name)s » n'est pas un PDF lisible.", name=name))
        active = pdf_active_content(data)
        if active:
            raise UploadRefused(
                _l(
                    "Le fichier « %(name)s » contient du contenu actif (%(what)s) : un PDF qui agit de "
                    "lui-même est refusé. Imprimez-le en PDF (« Enregistrer au format PDF ») et envoyez "
                    "cette copie.",
                    name=name,
                    what=", ".join(active),
                )
            )
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
