"""Default indexation rules for the programs that index (CONVENTIONS.md, "CPI indexation").

Chosen default: the Quebec all-items series, the change of the annual average of the last complete
calendar year, rounded to the dollar, a negative change floored at 0. An officer changes a rule on
the program's indexation page; a seed never overwrites a rule that exists.
"""

from __future__ import annotations

from grants.core.db import db
from grants.core.seeding import SeedReport
from grants.cpi.operations import DEFAULT_SERIES, series_named
from grants.cpi.rates import RateMethod
from grants.indexation.models import IndexationRule, Rounding
from grants.programs.models import Program


def seed_rules() -> SeedReport:
    report = SeedReport()
    series = series_named(DEFAULT_SERIES)
    for program in db.session.scalars(db.select(Program).filter_by(indexed=True)):
        exists = db.session.execute(db.select(IndexationRule.id).filter_by(program_id=program.id)).first()
        if exists:
            continue
        db.session.add(
            IndexationRule(
                program_id=program.id,
                series_id=series.id if series else None,
                method=RateMethod.ANNUAL_AVERAGE,
                rounding=Rounding.DOLLAR,
                floor_at_zero=True,
                decimals=1,
            )
        )
        report.count("indexation_rules", created=True)
    db.session.flush()
    return report
