"""What an agreement obliges the organization to report, and when (CONVENTIONS.md, "Reporting").

The one home of the reporting calendar: the agreement's PDF, the payment schedule (installments
released by a report) and the accountability module all call `reports_due`.

- A mid-year report covers 1 April to 30 September, due 31 October; an annual report, with the
  financial statements, covers the fiscal year, due 30 June after its end (the due offsets, in
  months after the period's end, are settings). A call-for-projects grant ends with a final report.
- Periods follow the agreement's period: a grant starting in January has a shortened first annual
  period and no mid-year report that year; nothing falls due before the grant starts.
- A part of a fiscal year shorter than the minimum (a setting) gets no report of its own: a mid-year
  report is dropped, and an annual period is merged into the neighbouring year's report.

The financial statements' type depends on the amount (Conseil du trésor thresholds), and those
thresholds apply to the organization's cumulative public aid of the fiscal year: `statement_basis`
asks the cumulative aid finder (registered by the coordination cell,
`grants.coordination.cumulative_aid`, so agreements never import coordination) and uses it when it
is known and larger than the agreement's own amount.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum
from grants.fiscal import FiscalYear
from grants.programs.models import ProgramKind

AUDIT_THRESHOLD = Decimal("500000")
REVIEW_THRESHOLD = Decimal("50000")
MIDYEAR_END = (9, 30)  # a mid-year report covers the fiscal year up to 30 September


class StatementType(LabelledEnum):
    AUDIT = "audit", _l("états financiers audités")
    REVIEW = "review", _l("états financiers avec mission d'examen")
    COMPILATION = "compilation", _l("états financiers avec mission de compilation")


def statement_type(annual_amount: Decimal) -> StatementType:
    """≥ 500 000 $ audit; 50 000 $ to 499 999 $ review engagement; less, compilation."""
    if annual_amount >= AUDIT_THRESHOLD:
        return StatementType.AUDIT
    if annual_amount >= REVIEW_THRESHOLD:
        return StatementType.REVIEW
    return StatementType.COMPILATION


# -- cumulative aid (ours plus the other ministries' funding the cell imported) ------------------------
CumulativeAidFinder = Callable[[int, FiscalYear], "Decimal | None"]
_aid_finders: list[CumulativeAidFinder] = []


def register_cumulative_aid(finder: CumulativeAidFinder) -> None:
    """The coordination cell registers how to find an organization's cumulative aid for a fiscal
    year (None when nothing is known); the arrow runs from coordination to agreements."""
    _aid_finders[:] = [finder]


def cumulative_aid(organization_id: int | None, fiscal_year: FiscalYear) -> Decimal | None:
    """All the public aid known for the organization and the year, or None (no finder, or no
    organization)."""
    if not _aid_finders or organization_id is None:
        return None
    return _aid_finders[0](organization_id, fiscal_year)


@dataclass(frozen=True)
class StatementBasis:
    """Why a report comes with the statements it does: the grant's own amount for the year and the
    cumulative aid known for the organization that year (None when not known)."""

    fiscal_year: FiscalYear | None
    own: Decimal
    cumulative: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        """The amount the thresholds are applied to."""
        if self.cumulative is not None and self.cumulative > self.own:
            return self.cumulative
        return self.own

    @property
    def type(self) -> StatementType:
        return statement_type(self.amount)

    @property
    def by_cumulative(self) -> bool:
        """The cumulative aid calls for another type than the grant alone would."""
        return self.type is not statement_type(self.own)


def statement_basis(
    own: Decimal, organization_id: int | None, fiscal_year: FiscalYear | None
) -> StatementBasis:
    found = cumulative_aid(organization_id, fiscal_year) if fiscal_year is not None else None
    return StatementBasis(fiscal_year, own, found)


def agreement_statement(agreement: Any, fiscal_year: FiscalYear | None = None) -> StatementBasis:
    """The statements an agreement asks for: for one fiscal year (its amount that year, the
    largest year's when the agreement has none then), or with no year the most demanding of its
    years."""
    years = list(agreement.years)
    if fiscal_year is not None:
        year = next((y for y in years if y.fiscal_year == fiscal_year), None)
        own = year.amount if year is not None else max((y.amount for y in years), default=Decimal(0))
        return statement_basis(own, agreement.organization_id, fiscal_year)
    bases = [statement_basis(y.amount, agreement.organization_id, y.fiscal_year) for y in years]
    if not bases:
        return StatementBasis(None, Decimal(0))
    return max(bases, key=lambda b: (b.amount, b.own))


class ReportKind(LabelledEnum):
    MIDYEAR = "midyear", _l("Rapport d'étape")
    ANNUAL = "annual", _l("Rapport annuel et états financiers")
    FINAL = "final", _l("Rapport final et états financiers")  # the last one of a call for projects


@dataclass(frozen=True)
class ReportingRules:
    """The settings the calendar depends on (config.py; the defaults of CONVENTIONS.md)."""

    midyear_due_months: int = 1  # 30 September → 31 October
    annual_due_months: int = 3  # 31 March → 30 June
    min_period_days: int = 60  # a shorter part of a year gets no report of its own

    @classmethod
    def from_settings(cls) -> ReportingRules:
        """The application's settings (REPORT_* in config.py), or the defaults outside an app."""
        from flask import current_app, has_app_context

        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(
            midyear_due_months=int(config.get("REPORT_MIDYEAR_DUE_MONTHS", cls.midyear_due_months)),
            annual_due_months=int(config.get("REPORT_ANNUAL_DUE_MONTHS", cls.annual_due_months)),
            min_period_days=int(config.get("REPORT_MIN_PERIOD_DAYS", cls.min_period_days)),
        )


@dataclass(frozen=True)
class ReportDue:
    """One report an agreement asks for: the period it covers, its kind and its due date."""

    fiscal_year: FiscalYear  # the fiscal year the report belongs to
    kind: ReportKind
    period_start: date
    period_end: date
    due: date

    @property
    def label(self) -> str:
        return self.kind.label

    def as_terms(self) -> dict[str, str]:
        """As frozen in an agreement version's terms (ISO dates)."""
        return {
            "fiscal_year": str(self.fiscal_year),
            "kind": self.kind.value,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "due": self.due.isoformat(),
        }


def months_after(day: date, months: int) -> date:
    """The last day of the month `months` after `day`'s month (30 September + 1 → 31 October)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def reports_due(
    start: date,
    end: date,
    *,
    reports_per_year: int = 2,
    final_report: bool = False,
    rules: ReportingRules | None = None,
) -> list[ReportDue]:
    """The reports of a grant running from `start` to `end` (inclusive), in due-date order.

    One annual report per fiscal year the period touches (the last one a final report when
    `final_report`), and with two reports a year a mid-year report in each year the grant runs
    past 30 September. Periods are cut to the grant's period; see the module's docstring for
    parts of a year too short to report on."""
    if end < start:
        raise ValueError("a period ends on or after its start")
    rules = rules or ReportingRules.from_settings()
    too_short = rules.min_period_days

    annual: list[list[Any]] = []  # [fiscal year, start, end], merged below
    for year in FiscalYear.spanning(start, end):
        part = year.overlap(start, end)
        if part is not None:
            annual.append([year, *part])
    if len(annual) > 1 and _days(annual[0][1], annual[0][2]) < too_short:
        first = annual.pop(0)
        annual[0][1] = first[1]  # a short first part joins the next year's report
    if len(annual) > 1 and _days(annual[-1][1], annual[-1][2]) < too_short:
        last = annual.pop()
        annual[-1][2] = last[2]  # a short last part joins the previous year's report

    reports = []
    for index, (year, lo, hi) in enumerate(annual):
        last = index == len(annual) - 1
        kind = ReportKind.FINAL if last and final_report else ReportKind.ANNUAL
        reports.append(ReportDue(year, kind, lo, hi, months_after(hi, rules.annual_due_months)))
    if reports_per_year >= 2:
        for year in FiscalYear.spanning(start, end):
            midyear_end = date(year.start_year, *MIDYEAR_END)
            lo = max(start, year.start)
            if lo <= midyear_end < end and _days(lo, midyear_end) >= too_short:
                due = months_after(midyear_end, rules.midyear_due_months)
                reports.append(ReportDue(year, ReportKind.MIDYEAR, lo, midyear_end, due))
    return sorted(reports, key=lambda r: (r.due, r.period_end))


def reports_of(agreement: Any, *, ended_early: bool = False) -> list[ReportDue]:
    """An agreement's reports: its period, its program's number of reports a year, and a final
    report for a call-for-projects grant or a grant ended early."""
    program = agreement.program
    return reports_due(
        agreement.start_date,
        agreement.end_date,
        reports_per_year=program.reports_per_year,
        final_report=ended_early or ProgramKind(program.kind) is ProgramKind.CALL_FOR_PROJECTS,
    )


def report_closing(reports: Iterable[ReportDue], year: FiscalYear, kind: ReportKind) -> ReportDue | None:
    """The report an installment of `year` waits for when it is released by a report of `kind`:
    the year's mid-year report, or when the year has none (or for an annual or final report) the
    annual or final report that covers the year's part of the grant."""
    reports = list(reports)
    if kind is ReportKind.MIDYEAR:
        found = next((r for r in reports if r.kind is ReportKind.MIDYEAR and r.fiscal_year == year), None)
        if found is not None:
            return found
    return next(
        (
            r
            for r in reports
            if r.kind is not ReportKind.MIDYEAR and r.period_start <= year.end and r.period_end >= year.start
        ),
        None,
    )
