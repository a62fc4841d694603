"""Load and correct CPI values: whole files (all or nothing) and single months by hand, audited."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.audit import record
from grants.core.db import db
from grants.cpi import statcan
from grants.cpi.models import CpiSeries, CpiValue
from grants.cpi.months import month_label

DEFAULT_SERIES = "quebec-all-items"


class ValueRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def slug(*parts: str) -> str:
    text = unicodedata.normalize("NFKD", "-".join(parts))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def series_named(name: str) -> CpiSeries | None:
    return db.session.execute(db.select(CpiSeries).filter_by(name=name)).scalar_one_or_none()


def values_of(series: CpiSeries) -> dict[date, Decimal]:
    """Every month of a series, in one query."""
    rows = db.session.execute(
        db.select(CpiValue.month, CpiValue.value).filter_by(series_id=series.id).order_by(CpiValue.month)
    )
    return {month: value for month, value in rows}


@dataclass
class ImportReport:
    series: CpiSeries
    added: int
    changed: int
    unchanged: int
    first: date
    last: date


def import_csv(
    data: bytes,
    *,
    geography: str = "Quebec",
    product: str = "All-items",
    series_name: str | None = None,
    file_name: str = "",
    actor: Any = None,
) -> ImportReport:
    """Parse the whole file first (statcan.CsvRefused on any problem), then write every month.

    The series is found by name (default: geography and product, e.g. quebec-all-items) and
    created if new. A month already stored with another value is replaced, and the audit entry
    keeps the old value.
    """
    parsed = statcan.parse(data, geography=geography, product=product)
    name = series_name or slug(geography, product)
    series = series_named(name)
    if series is None:
        series = CpiSeries(
            name=name,
            geography=geography,
            product=product,
            base=parsed.base or "2002=100",
            vector=parsed.vector,
            source=f"Statistique Canada, tableau {statcan.TABLE_ID}",
        )
        db.session.add(series)
        db.session.flush()
    elif parsed.base and series.base and parsed.base != series.base:
        raise statcan.CsvRefused(
            str(
                _l(
                    "la base du fichier (%(found)s) n'est pas celle de la série (%(base)s).",
                    found=parsed.base,
                    base=series.base,
                )
            )
        )
    stored = {v.month: v for v in db.session.scalars(db.select(CpiValue).filter_by(series_id=series.id))}
    source = f"StatCan {statcan.TABLE_ID} CSV {file_name}".strip()[:255]
    added = changed = 0
    revisions = {}
    for month, value in sorted(parsed.values.items()):
        existing = stored.get(month)
        if existing is None:
            db.session.add(
                CpiValue(
                    series_id=series.id,
                    month=month,
                    value=value,
                    source=source,
                    updated_by=getattr(actor, "email", "") or "",
                )
            )
            added += 1
        elif existing.value != value:
            revisions[month_label(month)] = [existing.value, value]
            existing.value, existing.source = value, source
            existing.updated_by = getattr(actor, "email", "") or ""
            changed += 1
    db.session.flush()
    months = sorted(parsed.values)
    record(
        "cpi.imported",
        series,
        actor=actor,
        changes={
            "file": file_name,
            "layout": parsed.layout,
            "months": [month_label(months[0]), month_label(months[-1])],
            "added": added,
            "revised": revisions,
        },
    )
    return ImportReport(series, added, changed, len(months) - added - changed, months[0], months[-1])


def set_month(series: CpiSeries, month: date, value: Decimal, *, reason: str, actor: Any) -> CpiValue:
    """An administrator enters a month not yet imported, or corrects one; the audit keeps both values."""
    if not value.is_finite() or value <= 0 or value >= 10000:
        raise ValueRefused(str(_l("Un indice est un nombre positif, par exemple 166,9.")))
    if not reason.strip():
        raise ValueRefused(str(_l("Indiquez la source ou la raison de la saisie.")))
    entry = db.session.execute(
        db.select(CpiValue).filter_by(series_id=series.id, month=month)
    ).scalar_one_or_none()
    before = entry.value if entry else None
    if entry is None:
        entry = CpiValue(series_id=series.id, month=month, value=value)
        db.session.add(entry)
    entry.value, entry.source = value, f"saisie manuelle : {reason.strip()}"[:255]
    entry.updated_by = getattr(actor, "email", "") or ""
    db.session.flush()
    record(
        "cpi.month_set",
        series,
        actor=actor,
        changes={"month": month_label(month), "value": [before, value], "reason": reason.strip()},
    )
    return entry
