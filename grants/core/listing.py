"""Lists people can work with: whitelisted sorting, pagination and CSV exports.

A list view declares its sortable columns once (`SortSpec`); the same query then feeds the page
(paginated) and the CSV export (streamed, UTF-8 with BOM so a spreadsheet reads the accents,
amounts as plain decimals with a point).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request, stream_with_context
from sqlalchemy import Select, select

from grants.core.db import db
from grants.core.paging import page_number, page_size
from grants.fiscal import FiscalYear


def columns(model: Any, *names: str, **labelled: Any) -> list[Any]:
    """A list's SELECT columns: `model`'s attributes by name, then others under a label
    (`columns(Report, "id", "status", agreement=Agreement.number)`)."""
    return [getattr(model, name) for name in names] + [
        column.label(label) for label, column in labelled.items()
    ]


def listing(columns: Sequence[Any], *joins: tuple[Any, Any]) -> Select:
    """A list's query: its columns, then each (table, ON clause) joined in order."""
    statement = select(*columns)
    for table, on in joins:
        statement = statement.join(table, on)
    return statement


def where_given(statement: Select, equal: Mapping[Any, Any]) -> Select:
    """`statement` narrowed to `column == value` for each filter a person filled in (an empty value
    filters nothing)."""
    for column, value in equal.items():
        if value:
            statement = statement.where(column == value)
    return statement


@dataclass(frozen=True)
class SortSpec:
    """Allowed sort keys (`?sort=amount`, `?sort=-amount` for descending) and the default."""

    columns: dict[str, Any]
    default: str

    def apply(self, statement: Select, key: str | None = None) -> Select:
        key = key if key is not None else request.args.get("sort", self.default)
        descending = key.startswith("-")
        name = key.lstrip("-")
        if name not in self.columns:
            descending, name = self.default.startswith("-"), self.default.lstrip("-")
        column = self.columns[name]
        return statement.order_by(column.desc() if descending else column.asc())

    def current(self) -> str:
        key = request.args.get("sort", self.default)
        return key if key.lstrip("-") in self.columns else self.default


def csv_cell(value: Any) -> str:
    """Plain values for spreadsheets: `175000.00`, `2027-03-31`, `2026-2027`."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, FiscalYear):
        return str(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        text = "'" + text  # keep spreadsheets from running a formula typed into a field
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Any],
    row_values: Callable[[Any], Sequence[Any]],
) -> Response:
    """Stream a CSV file (UTF-8 with BOM, comma-separated, CRLF lines)."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([str(h) for h in header])
        for row in rows:
            writer.writerow([csv_cell(v) for v in row_values(row)])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.charset = "utf-8"
    return response


@dataclass
class RowPage:
    """One page of a multi-column select (what Flask-SQLAlchemy's paginate does for entities)."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_rows(statement: Select) -> RowPage:
    """Count the rows of `statement`, then fetch the asked page (`?page=`, `?per_page=`)."""
    from sqlalchemy import func, select

    per_page = page_size()
    number = page_number()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = min(number, max(1, -(-total // per_page)))
    items = db.session.execute(statement.limit(per_page).offset((number - 1) * per_page)).all()
    return RowPage(items=list(items), page=number, per_page=per_page, total=total)


def paginate_list(items: list[Any]) -> RowPage:
    """One page of a list already in memory (e.g. an indexation preview computed on the fly)."""
    per_page = page_size()
    number = min(page_number(), max(1, -(-len(items) // per_page)))
    start = (number - 1) * per_page
    return RowPage(items=items[start : start + per_page], page=number, per_page=per_page, total=len(items))
