"""Read the CSV files Statistics Canada gives for table 18-10-0004-01 (CPI, monthly).

Three layouts (real samples in ../shared/data/cpi/statcan-csv-layouts.md): the full-table or
"for database loading" download in English (`,`) or French (`;`, `VALEUR`, decimal point or
comma), and the English "as displayed" download (a preamble, one column per month). Only the
rows of one geography and one product are kept. Any problem refuses the whole file with its line
and the reason: the caller imports all of it or nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from grants.core import formatting
from grants.cpi.months import add_months, parse_month

TABLE_ID = "18-10-0004-01"
# English and French column names of the database-loading layout, by role.
COLUMNS = {
    "month": ("REF_DATE", "PÉRIODE DE RÉFÉRENCE"),
    "geo": ("GEO", "GÉO"),
    "product": ("Products and product groups", "Produits et groupes de produits"),
    "uom": ("UOM", "UNITÉ DE MESURE"),
    "vector": ("VECTOR", "VECTEUR"),
    "value": ("VALUE", "VALEUR"),
    "status": ("STATUS", "STATUT"),
}
# StatCan's French product names for the English ones people ask for.
PRODUCT_SYNONYMS = {
    "all-items": "ensemble",
    "rent": "loyer",
    "food": "aliments",
    "shelter": "logement",
    "gasoline": "essence",
    "energy": "energie",
}
MONTHS_EN = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_FOOTNOTES = re.compile(r"(\s+\d+)+$")
_TABLE_LINE = re.compile(r"^(?:Table|Tableau)\s*:\s*(\d{2}-\d{2}-\d{4}-\d{2})", re.IGNORECASE)


class CsvRefused(ValueError):
    """The file is not imported; `line` (1-based, or None for the whole file) and `reason` say why."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason, self.line = reason, line

    @property
    def message(self) -> str:
        if self.line:
            return str(_l("Ligne %(line)s : %(reason)s", line=self.line, reason=self.reason))
        return self.reason


@dataclass
class ParsedSeries:
    geography: str
    product: str
    layout: str  # "database" or "displayed"
    base: str = ""
    vector: str = ""
    values: dict[date, Decimal] = field(default_factory=dict)
    lines: dict[date, int] = field(default_factory=dict)  # where each month was read


def _plain(text: str) -> str:
    """Compare names without accents, case, no-break spaces or footnote numbers."""
    text = _FOOTNOTES.sub("", (text or "").replace("\u00a0", " ").strip())
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def _same_product(asked: str, found: str) -> bool:
    asked, found = _plain(asked), _plain(found)
    return found == asked or found == PRODUCT_SYNONYMS.get(asked, asked)


def _decimal(text: str, line: int) -> Decimal:
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CsvRefused(str(_l("la valeur « %(value)s » n'est pas un nombre.", value=text)), line) from None
    if not value.is_finite() or value <= 0:
        raise CsvRefused(str(_l("la valeur « %(value)s » n'est pas un indice valide.", value=text)), line)
    return value


def _check_width(row: list[str], header: list[str], line: int) -> None:
    """A data row has as many fields as the header: fewer or more says the file was cut or mangled."""
    if len(row) != len(header):
        raise CsvRefused(
            str(
                _l(
                    "%(found)s champs au lieu de %(expected)s (fichier tronqué ?).",
                    found=len(row),
                    expected=len(header),
                )
            ),
            line,
        )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRefused(
            str(_l("Le fichier n'est pas un texte UTF-8 (un CSV de Statistique Canada)."))
        ) from None


def parse(data: bytes, *, geography: str = "Quebec", product: str = "All-items") -> ParsedSeries:
    """The monthly values of one geography and product, or CsvRefused."""
    text = _decode(data)
    lines = text.splitlines()
    head = next((line for line in lines if line.strip()), "")
    if "REF_DATE" in head or "PÉRIODE DE RÉFÉRENCE" in head:
        parsed = _parse_database(text, head, geography, product)
    elif any(_TABLE_LINE.match(line.strip().strip('"')) for line in lines[:12]):
        parsed = _parse_displayed(lines, geography, product)
    else:
        raise CsvRefused(
            str(
                _l("Ce fichier n'est pas un CSV du tableau %(table)s de Statistique Canada.", table=TABLE_ID)
            ),
            1,
        )
    _check_continuous(parsed)
    return parsed


def _parse_database(text: str, head: str, geography: str, product: str) -> ParsedSeries:
    delimiter = ";" if head.count(";") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration) as error:
        raise CsvRefused(str(error), 1) from None
    index = {}
    for role, names in COLUMNS.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None and role in ("month", "geo", "product", "value"):
            raise CsvRefused(
                str(
                    _l(
                        "la colonne « %(column)s » manque : ce n'est pas le tableau %(table)s.",
                        column=names[0],
                        table=TABLE_ID,
                    )
                ),
                1,
            )
        index[role] = found
    parsed = ParsedSeries(geography=geography, product=product, layout="database")
    seen_geos: set[str] = set()
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            _check_width(row, header, line)
            raw_month = row[index["month"]].strip()
            if not re.fullmatch(r"\d{4}-\d{2}", raw_month):
                raise CsvRefused(
                    str(
                        _l(
                            "la période « %(period)s » n'est pas un mois : ce fichier n'est pas le tableau "
                            "mensuel %(table)s.",
                            period=raw_month,
                            table=TABLE_ID,
                        )
                    ),
                    line,
                )
            seen_geos.add(row[index["geo"]].strip())
            if _plain(row[index["geo"]]) != _plain(geography) or not _same_product(
                product, row[index["product"]]
            ):
                continue
            month = parse_month(raw_month)
            if month in parsed.values:
                raise CsvRefused(str(_l("le mois %(month)s est en double.", month=raw_month)), line)
            status = row[index["status"]].strip() if index["status"] is not None else ""
            if not row[index["value"]].strip():
                raise CsvRefused(
                    str(
                        _l(
                            "aucune valeur pour %(month)s (statut « %(status)s »).",
                            month=raw_month,
                            status=status or "..",
                        )
                    ),
                    line,
                )
            parsed.values[month] = _decimal(row[index["value"]], line)
            parsed.lines[month] = line
            if index["uom"] is not None:
                parsed.base = row[index["uom"]].strip()
            if index["vector"] is not None:
                parsed.vector = row[index["vector"]].strip()
    except csv.Error as error:
        message = _l("ligne illisible, fichier tronqué ? (%(error)s)", error=error)
        raise CsvRefused(str(message), reader.line_num) from None
    if not parsed.values:
        raise CsvRefused(
            str(
                _l(
                    "aucune ligne pour « %(geo)s » et « %(product)s » (géographies du fichier : %(geos)s).",
                    geo=geography,
                    product=product,
                    geos=", ".join(sorted(seen_geos)) or "—",
                )
            )
        )
    return parsed


def _parse_displayed(lines: list[str], geography: str, product: str) -> ParsedSeries:
    table = next((m.group(1) for line in lines[:12] if (m := _TABLE_LINE.match(line.strip().strip('"')))), "")
    if table != TABLE_ID:
        raise CsvRefused(
            str(
                _l(
                    "ce fichier est le tableau %(found)s, pas le tableau %(table)s.",
                    found=table,
                    table=TABLE_ID,
                )
            ),
            next(i for i, line in enumerate(lines, 1) if table in line),
        )
    rows = list(csv.reader(lines))
    geo_row = next(
        (i for i, row in enumerate(rows) if row and row[0].strip() in ("Geography", "Géographie")), None
    )
    if geo_row is None or len(rows[geo_row]) < 2:
        raise CsvRefused(str(_l("la ligne « Geography » manque.")), None)
    file_geo = rows[geo_row][1].strip()
    parsed = ParsedSeries(geography=geography, product=product, layout="displayed")
    if _plain(file_geo) != _plain(geography):
        raise CsvRefused(
            str(
                _l(
                    "ce fichier donne la géographie « %(found)s », pas « %(geo)s ».",
                    found=file_geo,
                    geo=geography,
                )
            ),
            geo_row + 1,
        )
    header = rows[geo_row + 1]
    months: list[date] = []
    for label in header[1:]:
        words = label.strip().split()
        if len(words) != 2 or words[0].casefold() not in MONTHS_EN or not words[1].isdigit():
            raise CsvRefused(str(_l("« %(label)s » n'est pas un mois.", label=label)), geo_row + 2)
        months.append(date(int(words[1]), MONTHS_EN.index(words[0].casefold()) + 1, 1))
    unit_row = rows[geo_row + 2] if len(rows) > geo_row + 2 else []
    parsed.base = next((cell.strip() for cell in unit_row if cell.strip()), "")
    for number, row in enumerate(rows[geo_row + 3 :], geo_row + 4):
        if not row or not row[0].strip():
            break  # the blank lines before the footnotes end the data
        if not _same_product(product, row[0]):
            continue
        _check_width(row, header, number)
        for month, cell in zip(months, row[1:], strict=True):
            if not cell.strip() or cell.strip() in ("..", "x", "F"):
                raise CsvRefused(
                    str(
                        _l(
                            "aucune valeur pour %(month)s (statut « %(status)s »).",
                            month=formatting.month_name(month),
                            status=cell.strip() or "..",
                        )
                    ),
                    number,
                )
            parsed.values[month] = _decimal(cell, number)
            parsed.lines[month] = number
        break
    if not parsed.values:
        raise CsvRefused(str(_l("aucune ligne « %(product)s » dans ce fichier.", product=product)))
    return parsed


def _check_continuous(parsed: ParsedSeries) -> None:
    """A series with a hole would give a rate from the wrong months: name the first missing one."""
    months = sorted(parsed.values)
    for previous, current in itertools.pairwise(months):
        if current != add_months(previous, 1):
            raise CsvRefused(
                str(
                    _l(
                        "le mois %(missing)s manque entre %(before)s et %(after)s.",
                        missing=formatting.month_name(add_months(previous, 1)),
                        before=formatting.month_name(previous),
                        after=formatting.month_name(current),
                    )
                ),
                parsed.lines.get(current),
            )
