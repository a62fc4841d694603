"""Funding lines imported from other ministries: the value type and a streaming CSV reader.

The import format (issue 11): UTF-8, comma-separated, a header row naming at least
`record_id, source_ministry, program, recipient_name, recipient_neq, recipient_city,
recipient_region, project_title, description, amount_cad, start_date, end_date, fiscal_year`
(optional `measure`; other columns ignored). The reader checks the whole file's encoding and
header before yielding anything (a file-level problem loads nothing and says why), then yields the
good lines one by one and keeps, for every bad line, its number and the reason in French and
English. It holds one line at a time, so a million-line file streams in constant memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from grants.fiscal import FiscalYear

REQUIRED_COLUMNS = (
    "record_id",
    "source_ministry",
    "program",
    "recipient_name",
    "recipient_neq",
    "recipient_city",
    "recipient_region",
    "project_title",
    "description",
    "amount_cad",
    "start_date",
    "end_date",
    "fiscal_year",
)
OPTIONAL_COLUMNS = ("measure",)
UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024  # what a page upload accepts; the batch command has no limit
MAX_AMOUNT = Decimal("1000000000000")  # NUMERIC(14, 2)
_REGIONS_CSV = Path(__file__).resolve().parent.parent / "reference" / "data" / "regions.csv"
_CHUNK = 1 << 20


class FundingRecord(NamedTuple):
    """One funding line as another ministry reported it (amount in dollars, dates inclusive).
    A named tuple: immutable, and cheap enough to make a million of."""

    record_id: str
    source_ministry: str
    program: str
    recipient_name: str
    recipient_neq: str | None
    recipient_city: str
    recipient_region: str | None  # the official two-digit number, `06`
    project_title: str
    description: str
    amount_cad: Decimal
    start_date: date
    end_date: date
    fiscal_year: FiscalYear
    measure: str | None = None
    line: int = 0


# -- messages ------------------------------------------------------------------------------------
# Each problem has a code, a French and an English text; the pages can wrap the code in gettext.
MESSAGES: dict[str, tuple[str, str]] = {
    "encoding": (
        "le fichier n'est pas en UTF-8 (octet {byte} à la ligne {line}) : enregistrez-le en « CSV UTF-8 »",
        "the file is not UTF-8 (byte {byte} on line {line}): save it as “CSV UTF-8”",
    ),
    "too_large": (
        "le fichier fait {size} Mo, plus que la limite de {limit} Mo : découpez-le",
        "the file is {size} MB, over the {limit} MB limit: split it",
    ),
    "empty": ("le fichier est vide", "the file is empty"),
    "missing_columns": (
        "colonnes obligatoires absentes de l'en-tête : {columns}",
        "required columns missing from the header: {columns}",
    ),
    "not_csv": (
        "le fichier n'est pas un CSV lisible : {detail}",
        "the file is not a readable CSV: {detail}",
    ),
    "field_count": (
        "la ligne a {found} champs, l'en-tête en annonce {expected}",
        "the line has {found} fields, the header names {expected}",
    ),
    "required": ("{column} est vide", "{column} is empty"),
    "duplicate_id": (
        "record_id {value} déjà vu à la ligne {first}",
        "record_id {value} already seen on line {first}",
    ),
    "neq_nine": (
        "NEQ {value} : 9 chiffres ; un NEQ en a 10 "
        "(un numéro de 9 chiffres est le numéro d'entreprise fédéral)",
        "NEQ {value}: 9 digits; an NEQ has 10 (a 9-digit number is the federal business number)",
    ),
    "neq_format": ("NEQ {value} : il faut 10 chiffres", "NEQ {value}: 10 digits are needed"),
    "region": (
        "région {value} inconnue : le nom ou le numéro (01 à 17) d'une région administrative",
        "unknown region {value}: the name or number (01 to 17) of an administrative region",
    ),
    "amount": (
        "montant {value} illisible : un nombre comme 12500.00",
        "unreadable amount {value}: a number such as 12500.00",
    ),
    "amount_negative": ("montant {value} négatif", "negative amount {value}"),
    "amount_too_large": ("montant {value} trop grand", "amount {value} too large"),
    "date": (
        "{column} {value} : une date AAAA-MM-JJ est attendue",
        "{column} {value}: a YYYY-MM-DD date is expected",
    ),
    "period": (
        "end_date {end} est avant start_date {start}",
        "end_date {end} is before start_date {start}",
    ),
    "fiscal_year": (
        "exercice {value} : il faut AAAA-AAAA+1, par exemple 2026-2027",
        "fiscal year {value}: YYYY-YYYY+1 is needed, for example 2026-2027",
    ),
    # Found when the lines are loaded (grants/coordination/imports.py), not by the reader.
    "measure": (
        "mesure {value} inconnue : le numéro d'une mesure du plan d'action en vigueur ({plan}), "
        "par exemple 13 ou A2",
        "unknown measure {value}: the number of a measure of the action plan in force ({plan}), "
        "for example 13 or A2",
    ),
    "too_long": (
        "{column} trop long : {length} caractères, au plus {limit}",
        "{column} too long: {length} characters, at most {limit}",
    ),
    "not_text": (
        "le fichier n'est pas un fichier texte CSV ({detail})",
        "the file is not a CSV text file ({detail})",
    ),
    "load_failed": (
        "le chargement s'est interrompu ({detail}) : rien n'a été chargé, importez le fichier de nouveau",
        "the load stopped ({detail}): nothing was loaded, import the file again",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A reason, as a code and its parameters, readable in French or English."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, language: str = "fr") -> str:
        french, english = MESSAGES[self.code]
        return (english if language == "en" else french).format(**self.params)


@dataclass(frozen=True, slots=True)
class LineError:
    """A line left out of the import: its number in the file (the header is line 1) and why."""

    line: int
    problem: Problem

    def message(self, language: str = "fr") -> str:
        word = "line" if language == "en" else "ligne"
        return f"{word} {self.line}: {self.problem.message(language)}"


class FileRefused(Exception):
    """A problem with the whole file: nothing is loaded."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message("en"))
        self.problem = problem

    def message(self, language: str = "fr") -> str:
        return self.problem.message(language)


# -- regions -------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Lowercase, no accents, one space between words: `Saguenay–Lac-St-Jean` → `saguenay lac saint jean`."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\b(st|ste|sainte)\b", "saint", text)


@cache
def region_table() -> dict[str, str]:
    """Every accepted spelling of the 17 administrative regions → the official number `06`."""
    table: dict[str, str] = {}
    with _REGIONS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"]
            for spelling in (code, str(int(code)), row["name_fr"], row["name_en"]):
                table[_fold(spelling)] = code
                table[_fold(f"{code} {row['name_fr']}")] = code
                table[_fold(f"{int(code)} {row['name_fr']}")] = code
    return table


def parse_region(text: str) -> str | None:
    """`06`, `6`, `Montréal`, `06 - Montréal` → `06`; unknown → None."""
    return region_table().get(_fold(text))


# -- reading -------------------------------------------------------------------------------------
def _open_bytes(source: str | Path | bytes | BinaryIO) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, str | Path):
        return open(source, "rb")
    return source


def check_encoding(handle: BinaryIO, max_bytes: int | None = None) -> int:
    """Read the whole file once: strict UTF-8 (a BOM is fine) and, if given, the size limit.
    Returns the size; raises FileRefused naming the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = 0
    lines_before = 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileRefused(
                Problem(
                    "too_large", {"size": _megabytes(_total_size(handle, size)), "limit": max_bytes // 2**20}
                )
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise FileRefused(
                Problem("encoding", {"byte": f"0x{chunk[error.start]:02X}", "line": line})
            ) from None
        lines_before += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRefused(Problem("encoding", {"byte": "?", "line": lines_before + 1})) from None
    if size == 0:
        raise FileRefused(Problem("empty"))
    return size


def _total_size(handle: BinaryIO, read_so_far: int) -> int:
    try:
        position = handle.tell()
        handle.seek(0, io.SEEK_END)
        total = handle.tell()
        handle.seek(position)
        return total
    except (OSError, ValueError):
        return read_so_far


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f}"


class FundingCsvReader:
    """Iterate over the good lines of an import file; `errors` lists the others afterwards.

    The encoding and the header are checked when the reader is built (FileRefused then means
    nothing was read); a bad line never stops the reading.
    """

    def __init__(self, source: str | Path | bytes | BinaryIO, *, max_bytes: int | None = None) -> None:
        self._handle = _open_bytes(source)
        self._owned = self._handle is not source
        try:
            if self._handle.seekable():
                self.size = check_encoding(self._handle, max_bytes)
                self._handle.seek(0)
            else:  # a pipe: read it into memory to check it
                data = self._handle.read()
                self._handle = io.BytesIO(data)
                self._owned = True
                self.size = check_encoding(self._handle, max_bytes)
                self._handle.seek(0)
            self._text = io.TextIOWrapper(self._handle, encoding="utf-8-sig", newline="")
            self._csv = csv.reader(self._text)
            try:
                header = next(self._csv)
            except StopIteration:
                raise FileRefused(Problem("empty")) from None
            except csv.Error as error:
                raise FileRefused(Problem("not_csv", {"detail": str(error)})) from None
        except BaseException:
            self.close()
            raise
        self.columns = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in self.columns]
        if missing:
            self.close()
            raise FileRefused(Problem("missing_columns", {"columns": ", ".join(missing)}))
        self.errors: list[LineError] = []
        self.lines_read = 0

    def close(self) -> None:
        if self._owned:
            self._handle.close()

    def __iter__(self) -> Iterator[FundingRecord]:
        columns = itemgetter(*(self.columns.index(name) for name in REQUIRED_COLUMNS))
        measure_at = self.columns.index("measure") if "measure" in self.columns else None
        width = len(self.columns)
        state = _LineState(dict(region_table()))
        errors = self.errors
        rows = self._csv
        try:
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    break
                except csv.Error as error:
                    errors.append(LineError(rows.line_num, Problem("not_csv", {"detail": str(error)})))
                    continue
                self.lines_read += 1
                if len(row) < width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    problem = Problem("field_count", {"found": len(row), "expected": width})
                    errors.append(LineError(rows.line_num, problem))
                    continue
                outcome = _check_line(row, rows.line_num, columns, measure_at, state)
                if type(outcome) is Problem:
                    errors.append(LineError(rows.line_num, outcome))
                else:
                    yield outcome  # type: ignore[misc]
        finally:
            self.close()


class _LineState:
    """What the lines of one file share: ids seen, and caches of parsed regions and fiscal years."""

    def __init__(self, regions: dict[str, str]) -> None:
        self.seen: dict[str, int] = {}
        self.regions = regions
        self.fiscal_years: dict[str, FiscalYear] = {}
        self.interned: dict[str, str] = {}
        self.dates: dict[str, date | None] = {}  # a file names few distinct days: parse each once


def _check_line(
    row: list[str],
    line: int,
    columns: Callable[[list[str]], tuple[str, ...]],
    measure_at: int | None,
    state: _LineState,
) -> FundingRecord | Problem:
    """A good line becomes a FundingRecord; a bad one, the Problem that says why."""
    (
        record_id,
        ministry,
        program,
        name,
        neq_text,
        city,
        region_text,
        title,
        description,
        amount_text,
        start_text,
        end_text,
        fiscal_text,
    ) = map(str.strip, columns(row))
    if not (record_id and ministry and program and name):
        for column, value in (
            ("record_id", record_id),
            ("source_ministry", ministry),
            ("program", program),
            ("recipient_name", name),
        ):
            if not value:
                return Problem("required", {"column": column})
    first = state.seen.get(record_id)
    if first is not None:
        return Problem("duplicate_id", {"value": record_id, "first": first})

    neq: str | None = None
    if neq_text:
        digits = neq_text.replace(" ", "").replace("-", "") if not neq_text.isdigit() else neq_text
        if not (digits.isdigit() and digits.isascii()):
            return Problem("neq_format", {"value": neq_text})
        if len(digits) != 10:
            return Problem("neq_nine" if len(digits) == 9 else "neq_format", {"value": neq_text})
        neq = digits

    region: str | None = None
    if region_text:
        region = state.regions.get(region_text)
        if region is None:
            region = state.regions.get(_fold(region_text))
            if region is None:
                return Problem("region", {"value": region_text})
            state.regions[region_text] = region  # the next line spelled this way is one look-up

    amount = _amount(amount_text)
    if amount is None:
        return Problem("amount", {"value": amount_text or "''"})
    if amount < 0:
        return Problem("amount_negative", {"value": amount_text})
    if amount >= MAX_AMOUNT:
        return Problem("amount_too_large", {"value": amount_text})

    dates = state.dates
    start = dates.get(start_text, False)
    if start is False:
        start = dates[start_text] = _iso_date(start_text)
    if start is None:
        return Problem("date", {"column": "start_date", "value": start_text or "''"})
    end = dates.get(end_text, False)
    if end is False:
        end = dates[end_text] = _iso_date(end_text)
    if end is None:
        return Problem("date", {"column": "end_date", "value": end_text or "''"})
    if end < start:
        return Problem("period", {"start": start_text, "end": end_text})

    fiscal = state.fiscal_years.get(fiscal_text)
    if fiscal is None:
        try:
            fiscal = FiscalYear.parse(fiscal_text)
        except ValueError:
            return Problem("fiscal_year", {"value": fiscal_text or "''"})
        state.fiscal_years[fiscal_text] = fiscal

    state.seen[record_id] = line
    interned = state.interned
    return FundingRecord(
        record_id,
        interned.setdefault(ministry, ministry),
        interned.setdefault(program, program),
        name,
        neq,
        interned.setdefault(city, city),
        region,
        title,
        description,
        amount,
        start,
        end,
        fiscal,
        (row[measure_at].strip() or None) if measure_at is not None else None,
        line,
    )


def _iso_date(text: str) -> date | None:
    """`2026-04-01` → date; anything else (another layout, an impossible day) → None."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _amount(text: str) -> Decimal | None:
    """`12500.00`, `12 500,00 $` → Decimal; anything else → None."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        cleaned = text.replace(" ", "").replace("\u00a0", "").replace("$", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            return None
    return amount if amount.is_finite() else None
