"""Funding lines imported from other ministries: the value type and a streaming CSV reader.

The import format (issue 11): UTF-8, comma-separated, a header row naming at least
`record_id, source_ministry, program, recipient_name, recipient_neq, recipient_city,
recipient_region, project_title, description, amount_cad, start_date, end_date, fiscal_year`
(optional `measure`; other columns ignored). The reader checks the whole file's encoding and
header before yielding anything (a file-level problem loads nothing and says why), then yields the
good lines one by one and keeps, for every bad line, its number and the reason in French and
English. It holds one line at a time, so a million-line file streams in constant memory.

What people's files hold is read the sensible way (tests/test_coordination_import_files.py): a
UTF-8 BOM, CRLF line ends, blank lines and lines of only separators (skipped), header names in any
case, with spaces or accents (`Record ID` is `record_id`), values quoted with commas and line
breaks, a semicolon or a tab instead of the comma (French Excel's "CSV": the separator is the one
that makes the header name the most columns), amounts the Quebec way (`grants.core.money`), dates
`2026-04-01`, `2026/04/01` or `2026-4-1`, regions by name, number or both, NEQs with spaces or
dashes. What cannot be read without guessing is refused with the reason: `01/04/2026` (1 April or
4 January?), `1,234.56` or `175,000`, a Windows-1252 file (named as such, with what to do), a
spreadsheet renamed `.csv`.

Line numbers are the spreadsheet's row numbers, the header being row 1: a value with line breaks
inside quotes is one row (as Excel shows it) though it spans several lines of the text file, and
a blank line is a row. Without such values the two are the same.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from grants.core.money import MoneyTextInvalid, parse_money_text
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
    "encoding_windows": (
        "le fichier n'est pas en UTF-8 (octet {byte} à la ligne {line}) : il semble enregistré en "
        "Windows-1252, le « CSV » d'Excel sous Windows (on y lit « {sample} ») ; dans Excel, choisissez "
        "Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) », puis importez ce fichier",
        "the file is not UTF-8 (byte {byte} on line {line}): it seems saved as Windows-1252, Excel's "
        "“CSV” on Windows (it reads “{sample}”); in Excel, choose File > Save As > “CSV UTF-8 (Comma "
        "delimited)”, then import that file",
    ),
    "encoding_utf16": (
        "le fichier est en UTF-16 (le « Texte Unicode » d'Excel), pas en UTF-8 : dans Excel, choisissez "
        "Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) »",
        "the file is UTF-16 (Excel's “Unicode Text”), not UTF-8: in Excel, choose File > Save As > "
        "“CSV UTF-8 (Comma delimited)”",
    ),
    "spreadsheet": (
        "le fichier est un classeur ({kind}), pas un CSV, même si son nom finit par .csv : ouvrez-le "
        "dans Excel et enregistrez-le en « CSV UTF-8 (délimité par des virgules) »",
        "the file is a workbook ({kind}), not a CSV, even though its name ends in .csv: open it in Excel "
        "and save it as “CSV UTF-8 (Comma delimited)”",
    ),
    "binary": (
        "le fichier n'est pas un fichier texte (octet nul à la ligne {line}) : exportez les données "
        "en « CSV UTF-8 »",
        "the file is not a text file (a null byte on line {line}): export the data as “CSV UTF-8”",
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
    "no_header": (
        "la ligne {line} devrait être l'en-tête (record_id, source_ministry, program…) mais n'en "
        "nomme aucune colonne (on y lit « {found} »)",
        "line {line} should be the header (record_id, source_ministry, program…) but names none of "
        "its columns (it reads “{found}”)",
    ),
    "no_lines": (
        "le fichier n'a que l'en-tête : aucune ligne de financement à charger",
        "the file has only its header: no funding line to load",
    ),
    "not_csv": (
        "le fichier n'est pas un CSV lisible : {detail}",
        "the file is not a readable CSV: {detail}",
    ),
    "field_count": (
        "la ligne a {found} champs, l'en-tête en annonce {expected}",
        "the line has {found} fields, the header names {expected}",
    ),
    "field_count_more": (
        "la ligne a {found} champs, l'en-tête en annonce {expected} : un séparateur « {separator} » "
        "dans une valeur ? mettez cette valeur entre guillemets",
        "the line has {found} fields, the header names {expected}: a separator “{separator}” inside a "
        "value? put that value in quotes",
    ),
    "quote": (
        "un guillemet ouvre la valeur de {column} sans la refermer : les {count} lignes suivantes du "
        'fichier ont été lues comme cette seule valeur ; refermez le guillemet, ou doublez-le ("") '
        "s'il fait partie de la valeur",
        "a quote opens the value of {column} and never closes it: the next {count} lines of the file "
        'were read as that one value; close the quote, or double it ("") if it is part of the value',
    ),
    "field_too_large": (
        "une valeur dépasse {limit} caractères : un guillemet ouvert et jamais refermé ? les lignes "
        "suivantes ont pu être lues dans cette valeur",
        "a value is over {limit} characters: a quote opened and never closed? the next lines may "
        "have been read into that value",
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
    "neq_scientific": (
        "NEQ {value} : écrit en notation scientifique, ses derniers chiffres sont perdus ; donnez à la "
        "colonne recipient_neq le format Texte avant d'exporter",
        "NEQ {value}: written in scientific notation, its last digits are lost; format the "
        "recipient_neq column as Text before exporting",
    ),
    "region": (
        "région {value} inconnue : le nom ou le numéro (01 à 17) d'une région administrative",
        "unknown region {value}: the name or number (01 to 17) of an administrative region",
    ),
    "amount": (
        "montant {value} illisible : un nombre comme 12500.00",
        "unreadable amount {value}: a number such as 12500.00",
    ),
    "amount_mixed": (
        "montant {value} : une virgule et un point ; écrivez-le à la québécoise, par exemple 1234,56 "
        "ou 1 234,56 (ou 1234.56)",
        "amount {value}: a comma and a period; write it as 1234,56 or 1 234,56 (or 1234.56)",
    ),
    "amount_thousands": (
        "montant {value} ambigu : milliers ou décimales ? écrivez 175000, 175 000 ou 175 000,00",
        "ambiguous amount {value}: thousands or decimals? write 175000, 175 000 or 175 000,00",
    ),
    "amount_negative": (
        "montant {value} négatif : pour corriger une ligne déjà envoyée, envoyez-la de nouveau "
        "(même record_id) avec le bon montant",
        "negative amount {value}: to correct a line already sent, send it again (same record_id) "
        "with the right amount",
    ),
    "amount_too_large": (
        "montant {value} trop grand : au plus 999 999 999 999,99",
        "amount {value} too large: at most 999,999,999,999.99",
    ),
    "date": (
        "{column} {value} : une date AAAA-MM-JJ est attendue",
        "{column} {value}: a YYYY-MM-DD date is expected",
    ),
    "date_ambiguous": (
        "{column} {value} : jour et mois ambigus (JJ/MM ou MM/JJ ?) ; écrivez la date AAAA-MM-JJ, "
        "par exemple 2026-04-01",
        "{column} {value}: day and month are ambiguous (DD/MM or MM/DD?); write the date YYYY-MM-DD, "
        "for example 2026-04-01",
    ),
    "period": (
        "end_date {end} est avant start_date {start}",
        "end_date {end} is before start_date {start}",
    ),
    "fiscal_year": (
        "exercice {value} : il faut AAAA-AAAA+1, par exemple 2026-2027",
        "fiscal year {value}: YYYY-YYYY+1 is needed, for example 2026-2027",
    ),
    "fiscal_year_period": (
        "exercice {value} hors de la période du {start} au {end} : l'exercice d'une ligne doit couvrir "
        "une partie de sa période",
        "fiscal year {value} outside the period {start} to {end}: a line's fiscal year must cover part "
        "of its period",
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


# Words before a region's name or number that say nothing of which one: `Région 06`, `RA 6`,
# `Région administrative de la Montérégie`.
_REGION_WORDS = frozenset({"region", "regions", "administrative", "ra", "de", "du", "des", "la", "l"})


def parse_region(text: str) -> str | None:
    """`06`, `6`, `Montréal`, `MONTREAL`, `06 - Montréal`, `Montréal (06)`, `06-Montréal`,
    `Région 6`, `Monteregie` → the official number; unknown, or a number and a name that are two
    regions (`06 Laval`) → None."""
    table = region_table()
    folded = _fold(text)
    found = table.get(folded)
    if found is not None:
        return found
    words = folded.split()
    while words and words[0] in _REGION_WORDS:
        words.pop(0)
    numbers = [word for word in words if word.isdigit()]
    name = " ".join(word for word in words if not word.isdigit())
    if len(numbers) > 1:
        return None
    by_number = table.get(str(int(numbers[0]))) if numbers and len(numbers[0]) <= 2 else None
    by_name = table.get(name) if name else None
    if numbers and name:
        return by_number if by_number is not None and by_number == by_name else None
    return by_number if numbers else by_name


# -- reading -------------------------------------------------------------------------------------
def _open_bytes(source: str | Path | bytes | BinaryIO) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, str | Path):
        return open(source, "rb")
    return source


# What a file that is not text starts with.
_ZIP = b"PK\x03\x04"  # .xlsx, .ods (and .docx…)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def check_kind(head: bytes) -> None:
    """Refuse by its first bytes a file that is not a text file: a workbook renamed `.csv`, or a
    UTF-16 text (Excel's "Unicode Text"). Each says what it is and what to do."""
    if head.startswith(_ZIP):
        raise FileRefused(Problem("spreadsheet", {"kind": ".xlsx / .ods"}))
    if head.startswith(_OLE2):
        raise FileRefused(Problem("spreadsheet", {"kind": ".xls"}))
    if head.startswith(_UTF16_BOMS):
        raise FileRefused(Problem("encoding_utf16"))


def check_encoding(handle: BinaryIO, max_bytes: int | None = None) -> int:
    """Read the whole file once: a text file (no null byte), strict UTF-8 (a BOM is fine) and, if
    given, the size limit. Returns the size; raises FileRefused naming the line of the first bad
    byte, and saying so when the file reads as Windows-1252 (Excel's "CSV" on Windows)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = 0
    lines_before = 0
    while chunk := handle.read(_CHUNK):
        if size == 0:
            check_kind(chunk[:8])
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileRefused(
                Problem(
                    "too_large", {"size": _megabytes(_total_size(handle, size)), "limit": max_bytes // 2**20}
                )
            )
        null = chunk.find(b"\x00")
        if null >= 0:
            raise FileRefused(Problem("binary", {"line": lines_before + chunk.count(b"\n", 0, null) + 1}))
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise FileRefused(_encoding_problem(chunk, error.start, line)) from None
        lines_before += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRefused(Problem("encoding", {"byte": "?", "line": lines_before + 1})) from None
    if size == 0:
        raise FileRefused(Problem("empty"))
    return size


def _encoding_problem(chunk: bytes, at: int, line: int) -> Problem:
    """The bad byte's problem: `encoding_windows` with the value around it read as Windows-1252
    when its line reads so (`Hébergement`), else plain `encoding`."""
    byte = f"0x{chunk[at]:02X}"
    start = chunk.rfind(b"\n", 0, at) + 1
    end = chunk.find(b"\n", at)
    raw_line = chunk[start : end if end >= 0 else len(chunk)]
    try:
        text = raw_line.decode("cp1252")
    except UnicodeDecodeError:
        return Problem("encoding", {"byte": byte, "line": line})
    # The value holding the byte: from the separator before it to the one after it.
    position = at - start
    left = max(text.rfind(mark, 0, position) for mark in ',;\t"') + 1
    rights = [found for mark in ',;\t"\r' if (found := text.find(mark, position)) >= 0]
    sample = text[left : min(rights) if rights else len(text)].strip()
    if len(sample) > 60:
        sample = sample[:60] + "…"
    return Problem("encoding_windows", {"byte": byte, "line": line, "sample": sample})


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


def column_name(text: str) -> str:
    """A header cell as the column it names: `Record ID`, ` AMOUNT_CAD `, `record-id` → `record_id`."""
    return _fold(text).replace(" ", "_")


_SEPARATORS = (",", ";", "\t")
_REQUIRED = frozenset(REQUIRED_COLUMNS)


def _separator(header_line: str) -> str:
    """The separator that makes the header name the most required columns; the comma on a tie.
    French Excel's "CSV" uses the semicolon, its "Text" the tab."""
    best, best_found = ",", -1
    for separator in _SEPARATORS:
        names = next(csv.reader([header_line], delimiter=separator), [])
        found = len(_REQUIRED.intersection(map(column_name, names)))
        if found > best_found:
            best, best_found = separator, found
    return best


def _blank(row: list[str]) -> bool:
    return not any(value.strip() for value in row)


class FundingCsvReader:
    """Iterate over the good lines of an import file; `errors` lists the others afterwards.

    The encoding and the header are checked when the reader is built (FileRefused then means
    nothing was read); a bad line never stops the reading. `lines_read` counts the lines that are
    not blank; `separator` is the one the header showed.
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
            header, first_line = self._header()
        except BaseException:
            self.close()
            raise
        self.header_line = first_line
        self.columns = [column_name(name) for name in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in self.columns]
        if missing:
            self.close()
            if len(missing) == len(REQUIRED_COLUMNS):
                found = self.separator.join(name.strip() for name in header)
                found = found if len(found) <= 80 else found[:80] + "…"
                raise FileRefused(Problem("no_header", {"line": first_line, "found": found}))
            raise FileRefused(Problem("missing_columns", {"columns": ", ".join(missing)}))
        self.errors: list[LineError] = []
        self.lines_read = 0

    def _header(self) -> tuple[list[str], int]:
        """The header row (blank lines before it skipped) and its line number; the separator is
        chosen from it and the CSV reader set up for the rest."""
        line_number = 0
        for text_line in self._text:
            line_number += 1
            if text_line.strip(" \t\r\n,;"):
                break
        else:
            raise FileRefused(Problem("empty"))
        self.separator = _separator(text_line)
        self._csv = csv.reader(itertools.chain([text_line], self._text), delimiter=self.separator)
        try:
            header = next(self._csv)
        except csv.Error as error:
            raise FileRefused(Problem("not_csv", {"detail": str(error)})) from None
        return header, line_number

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
        number = self.header_line  # the spreadsheet's row: one per record the CSV reader gives
        physical = rows.line_num
        try:
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    break
                except csv.Error as error:
                    number += 1
                    physical = rows.line_num
                    errors.append(LineError(number, _csv_problem(error)))
                    continue
                number += 1
                spanned = rows.line_num - physical  # lines of the text file this row took
                physical = rows.line_num
                if len(row) != width or not row[0].strip():
                    if _blank(row):
                        continue  # an empty line, or a line of separators only
                    if len(row) < width:
                        problem = (spanned > 1 and self._unclosed_quote(row, spanned, width)) or Problem(
                            "field_count", {"found": len(row), "expected": width}
                        )
                        self.lines_read += 1
                        errors.append(LineError(number, problem))
                        continue
                    if len(row) > width and not _blank(row[width:]):
                        self.lines_read += 1
                        problem = Problem(
                            "field_count_more",
                            {
                                "found": len(row),
                                "expected": width,
                                "separator": self.separator.strip() or "TAB",
                            },
                        )
                        errors.append(LineError(number, problem))
                        continue
                self.lines_read += 1
                if spanned > 1:
                    swallowed = self._unclosed_quote(row, spanned, width)
                    if swallowed is not None:
                        errors.append(LineError(number, swallowed))
                        continue
                outcome = _check_line(row, number, columns, measure_at, state)
                if type(outcome) is Problem:
                    errors.append(LineError(number, outcome))
                else:
                    yield outcome  # type: ignore[misc]
        finally:
            self.close()

    def _unclosed_quote(self, row: list[str], spanned: int, width: int) -> Problem | None:
        """A row over several lines of the file whose value holds what looks like whole lines of
        the file (as many separators as the header): a quote opened and never closed."""
        for at, value in enumerate(row):
            _first, _newline, rest = value.partition("\n")
            if any(part.count(self.separator) >= width - 1 for part in rest.splitlines()):
                column = self.columns[at] if at < len(self.columns) else str(at + 1)
                return Problem("quote", {"column": column, "count": spanned - 1})
        return None


def _csv_problem(error: csv.Error) -> Problem:
    """What the CSV reader could not read, said for people when we know the cause."""
    if "field larger than field limit" in str(error):
        return Problem("field_too_large", {"limit": csv.field_size_limit()})
    return Problem("not_csv", {"detail": str(error)})


class _LineState:
    """What the lines of one file share: ids seen, and caches of parsed regions, dates and fiscal years."""

    def __init__(self, regions: dict[str, str]) -> None:
        self.seen: dict[str, int] = {}
        self.regions = regions
        self.fiscal_years: dict[str, tuple[FiscalYear, date, date]] = {}  # with its first and last day
        self.interned: dict[str, str] = {}
        self.dates: dict[str, date | str] = {}  # a file names few distinct days: parse each once


_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")
_NEQ_SPACING = re.compile(r"[\s\u00a0\u202f-]+")
_AMOUNT_PROBLEMS = {
    "mixed": "amount_mixed",
    "thousands": "amount_thousands",
    "format": "amount",
    "negative": "amount_negative",
    "too_large": "amount_too_large",
}
_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")  # `12500.00`: the common case, read directly


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
        digits = neq_text if neq_text.isdigit() else _NEQ_SPACING.sub("", neq_text)
        if not (digits.isdigit() and digits.isascii()):
            if _SCIENTIFIC.fullmatch(neq_text):
                return Problem("neq_scientific", {"value": neq_text})
            return Problem("neq_format", {"value": neq_text})
        if len(digits) != 10:
            return Problem("neq_nine" if len(digits) == 9 else "neq_format", {"value": neq_text})
        neq = digits

    region: str | None = None
    if region_text:
        region = state.regions.get(region_text)
        if region is None:
            region = parse_region(region_text)
            if region is None:
                return Problem("region", {"value": region_text})
            state.regions[region_text] = region  # the next line spelled this way is one look-up

    if _PLAIN_AMOUNT.fullmatch(amount_text):
        amount = Decimal(amount_text)
    else:
        try:
            amount = parse_money_text(amount_text)
        except MoneyTextInvalid as invalid:
            return Problem(_AMOUNT_PROBLEMS[invalid.reason], {"value": amount_text or "''"})

    dates = state.dates
    start = dates.get(start_text)
    if start is None:
        start = dates[start_text] = _date(start_text)
    if type(start) is str:
        return Problem(start, {"column": "start_date", "value": start_text or "''"})
    end = dates.get(end_text)
    if end is None:
        end = dates[end_text] = _date(end_text)
    if type(end) is str:
        return Problem(end, {"column": "end_date", "value": end_text or "''"})
    if end < start:  # type: ignore[operator]
        return Problem("period", {"start": start_text, "end": end_text})

    known = state.fiscal_years.get(fiscal_text)
    if known is None:
        try:
            fiscal = FiscalYear.parse(fiscal_text)
        except ValueError:
            return Problem("fiscal_year", {"value": fiscal_text or "''"})
        known = state.fiscal_years[fiscal_text] = (fiscal, fiscal.start, fiscal.end)
    fiscal, fiscal_start, fiscal_end = known
    if fiscal_start > end or fiscal_end < start:  # type: ignore[operator]
        return Problem(
            "fiscal_year_period",
            {"value": fiscal_text, "start": start.isoformat(), "end": end.isoformat()},  # type: ignore[union-attr]
        )

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
        start,  # type: ignore[arg-type]
        end,  # type: ignore[arg-type]
        fiscal,
        (row[measure_at].strip() or None) if measure_at is not None else None,
        line,
    )


# 2026-04-01 · 2026/04/01 · 2026-4-1 · 2026.04.01, and a midnight time some exports add.
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0?0:00(?::00(?:\.0+)?)?)?")
# 01/04/2026 · 1-4-26: day first or month first, nothing tells which.
_YEAR_LAST = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{2,4}")


def _date(text: str) -> date | str:
    """`2026-04-01`, `2026/04/01`, `2026-4-1` → the date; else the problem's code: `date_ambiguous`
    for `01/04/2026` (1 April or 4 January?), `date` for anything else or an impossible day."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return "date"
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            return "date"
    if _YEAR_LAST.fullmatch(text):
        return "date_ambiguous"
    return "date"
