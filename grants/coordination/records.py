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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import BinaryIO

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


@dataclass(frozen=True, slots=True)
class FundingRecord:
    """One funding line as another ministry reported it (amount in dollars, dates inclusive)."""

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
        "NEQ {value} : 9 chiffres ; un NEQ en a 10 (un numéro de 9 chiffres est le numéro d'entreprise fédéral)",
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


class FileRefused(Exception):  # noqa: N818 - a refusal, not a programming error
    """A problem with the whole file: nothing is loaded."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message("en"))
        self.problem = problem

    def message(self, language: str = "fr") -> str:
        return self.problem.message(language)


# -- regions -------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Lowercase without accents, dashes and spaces collapsed: `Saguenay–Lac-St-Jean` → `saguenay lac saint jean`."""
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
        return open(source, "rb")  # noqa: SIM115 - closed by the reader
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
                Problem("too_large", {"size": _megabytes(_total_size(handle, size)), "limit": max_bytes // 2**20})
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise FileRefused(Problem("encoding", {"byte": f"0x{chunk[error.start]:02X}", "line": line})) from None
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
        self._owned = not (self._handle is source)
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
        position = {name: self.columns.index(name) for name in REQUIRED_COLUMNS}
        measure_at = self.columns.index("measure") if "measure" in self.columns else None
        width = len(self.columns)
        seen: dict[str, int] = {}
        fiscal_years: dict[str, FiscalYear] = {}
        regions = dict(region_table())
        interned: dict[str, str] = {}
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
                line = rows.line_num
                self.lines_read += 1
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if len(row) < width:
                    errors.append(LineError(line, Problem("field_count", {"found": len(row), "expected": width})))
                    continue
                record = self._record(row, line, position, measure_at, seen, fiscal_years, regions, interned)
                if record is not None:
                    yield record
        finally:
            self.close()

    def _record(  # noqa: PLR0911, PLR0912 - one check per column, in order
        self,
        row: list[str],
        line: int,
        at: dict[str, int],
        measure_at: int | None,
        seen: dict[str, int],
        fiscal_years: dict[str, FiscalYear],
        regions: dict[str, str],
        interned: dict[str, str],
    ) -> FundingRecord | None:
        def refuse(code: str, **params: object) -> None:
            self.errors.append(LineError(line, Problem(code, params)))

        record_id = row[at["record_id"]].strip()
        for column in ("record_id", "source_ministry", "program", "recipient_name"):
            if not row[at[column]].strip():
                return refuse("required", column=column)
        if record_id in seen:
            return refuse("duplicate_id", value=record_id, first=seen[record_id])

        neq_text = row[at["recipient_neq"]].strip()
        neq: str | None = None
        if neq_text:
            digits = neq_text.replace(" ", "").replace("-", "")
            if not digits.isdigit() or not digits.isascii():
                return refuse("neq_format", value=neq_text)
            if len(digits) == 9:
                return refuse("neq_nine", value=neq_text)
            if len(digits) != 10:
                return refuse("neq_format", value=neq_text)
            neq = digits

        region_text = row[at["recipient_region"]].strip()
        region: str | None = None
        if region_text:
            region = regions.get(region_text)
            if region is None:
                region = regions.get(_fold(region_text))
                if region is not None:
                    regions[region_text] = region  # the next line spelled this way is one look-up
            if region is None:
                return refuse("region", value=region_text)

        amount_text = row[at["amount_cad"]].strip()
        try:
            amount = Decimal(amount_text.replace(" ", "").replace("\u00a0", "").replace("$", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            if "," in amount_text and "." not in amount_text:
                try:
                    amount = Decimal(amount_text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
                except InvalidOperation:
                    amount = None
            if amount is None or not amount.is_finite():
                return refuse("amount", value=amount_text or "''")
        if amount < 0:
            return refuse("amount_negative", value=amount_text)
        if amount >= MAX_AMOUNT:
            return refuse("amount_too_large", value=amount_text)

        dates = []
        for column in ("start_date", "end_date"):
            text = row[at[column]].strip()
            try:
                if len(text) != 10:
                    raise ValueError
                dates.append(date.fromisoformat(text))
            except ValueError:
                return refuse("date", column=column, value=text or "''")
        start, end = dates
        if end < start:
            return refuse("period", start=start.isoformat(), end=end.isoformat())

        fiscal_text = row[at["fiscal_year"]].strip()
        fiscal = fiscal_years.get(fiscal_text)
        if fiscal is None:
            try:
                fiscal = FiscalYear.parse(fiscal_text)
            except ValueError:
                return refuse("fiscal_year", value=fiscal_text or "''")
            fiscal_years[fiscal_text] = fiscal

        seen[record_id] = line
        measure = row[measure_at].strip() or None if measure_at is not None else None
        return FundingRecord(
            record_id=record_id,
            source_ministry=_intern(interned, row[at["source_ministry"]].strip()),
            program=_intern(interned, row[at["program"]].strip()),
            recipient_name=row[at["recipient_name"]].strip(),
            recipient_neq=neq,
            recipient_city=_intern(interned, row[at["recipient_city"]].strip()),
            recipient_region=region,
            project_title=row[at["project_title"]].strip(),
            description=row[at["description"]].strip(),
            amount_cad=amount,
            start_date=start,
            end_date=end,
            fiscal_year=fiscal,
            measure=measure,
            line=line,
        )


def _intern(table: dict[str, str], text: str) -> str:
    """Share the repeated short strings (ministries, programs, cities) between records."""
    return table.setdefault(text, text)
