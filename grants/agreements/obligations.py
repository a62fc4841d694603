"""What an agreement obliges the organization to report, per fiscal year (CONVENTIONS.md).

Two reports a year: a mid-year report (1 April to 30 September) and an annual report with the
financial statements, whose type depends on the amount (Conseil du trésor thresholds). The
accountability module will build its forms and reminders on these same dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from grants.fiscal import FiscalYear

AUDIT_THRESHOLD = Decimal("500000")
REVIEW_THRESHOLD = Decimal("50000")


class StatementType(StrEnum):
    AUDIT = "audit"
    REVIEW = "review"
    COMPILATION = "compilation"

    @property
    def label(self) -> str:
        return str(
            {
                StatementType.AUDIT: _l("états financiers audités"),
                StatementType.REVIEW: _l("états financiers avec mission d'examen"),
                StatementType.COMPILATION: _l("états financiers avec mission de compilation"),
            }[self]
        )


def statement_type(annual_amount: Decimal) -> StatementType:
    """≥ 500 000 $ audit; 50 000 $ to 499 999 $ review engagement; less, compilation."""
    if annual_amount >= AUDIT_THRESHOLD:
        return StatementType.AUDIT
    if annual_amount >= REVIEW_THRESHOLD:
        return StatementType.REVIEW
    return StatementType.COMPILATION


@dataclass(frozen=True)
class ReportDue:
    fiscal_year: FiscalYear
    kind: str  # "midyear" or "annual"
    period_start: date
    period_end: date
    due: date

    @property
    def label(self) -> str:
        return str(
            _l("Rapport d'étape") if self.kind == "midyear" else _l("Rapport annuel et états financiers")
        )


def reports_due(year: FiscalYear) -> list[ReportDue]:
    """Mid-year report due 31 October; annual report due 30 June after the year end (defaults)."""
    return [
        ReportDue(year, "midyear", year.start, date(year.start_year, 9, 30), date(year.start_year, 10, 31)),
        ReportDue(year, "annual", year.start, year.end, date(year.start_year + 1, 6, 30)),
    ]
