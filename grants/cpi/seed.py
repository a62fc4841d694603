"""The default series shipped with the product: Quebec, All-items (vector v41691783), 2016-01 on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from grants.core.db import db
from grants.core.seeding import SeedReport, read_csv
from grants.cpi.models import CpiSeries, CpiValue
from grants.cpi.months import parse_month
from grants.cpi.operations import DEFAULT_SERIES

DATA = Path(__file__).parent / "data" / "quebec-all-items.csv"
SOURCE = "Statistique Canada, tableau 18-10-0004-01 (../shared/data/cpi/quebec-all-items.csv)"


def seed_cpi() -> SeedReport:
    """Create the series and add the shipped months it lacks; months already there are kept (an
    import or a hand correction may have changed them since)."""
    report = SeedReport()
    series = db.session.execute(db.select(CpiSeries).filter_by(name=DEFAULT_SERIES)).scalar_one_or_none()
    if series is None:
        series = CpiSeries(
            name=DEFAULT_SERIES,
            geography="Quebec",
            product="All-items",
            base="2002=100",
            vector="v41691783",
            source=SOURCE,
        )
        db.session.add(series)
        db.session.flush()
        report.count("cpi_series", created=True)
    known = set(db.session.scalars(db.select(CpiValue.month).filter_by(series_id=series.id)))
    for row in read_csv(DATA):
        month = parse_month(row["month"])
        if month not in known:
            db.session.add(
                CpiValue(series_id=series.id, month=month, value=Decimal(row["value"]), source=SOURCE)
            )
            report.count("cpi_values", created=True)
    db.session.flush()
    return report
