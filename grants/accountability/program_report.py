"""The program report for a fiscal year (officers, the ministry): per organization the amounts
committed, indexed and paid, report compliance, the program's indicators against their targets and
the people reached by ADS+ variable, small counts suppressed (`grants.core.suppression`, the one
function), charts drawn as SVG. Printed with WeasyPrint (`templates/accountability/pdf/
program_report.html`), built by a Celery task that reports its progress (`grants.core.jobs`) or
by `grants reports pdf`.

Every figure comes from a handful of set-based statements (one per kind of figure, whatever the
number of organizations); the few classifications done in Python run over their rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select

from grants.accountability import adsplus
from grants.accountability.models import Indicator, Report, ReportIndicatorValue, ReportReachCount
from grants.accountability.queries import indicators_of, settings_for
from grants.accountability.validation import variables_for
from grants.accountability.workflow import AWAITING_SUBMISSION, SUBMITTED_STATES, ReportStatus
from grants.agreements.models import Agreement, AgreementVersion, AgreementYear
from grants.agreements.obligations import ReportKind
from grants.core import clock
from grants.core.charts import Bar
from grants.core.db import db
from grants.core.formatting import money_short, percent, to_local
from grants.core.suppression import CountTable, SuppressedTable, suppress
from grants.core.tasks import BUILD_PROGRAM_REPORT
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.payments.models import Installment
from grants.payments.workflow import InstallmentStatus
from grants.programs.models import Program

JOB_KIND = "program_report"
TASK_NAME = BUILD_PROGRAM_REPORT
ZERO = Decimal("0.00")
# The steps a job counts: gather, suppress, render, store.
STEPS = 4


class Compliance(StrEnum):
    """Where one report stands for the year: submitted on time or late, missing (past due, not
    submitted) or not yet due."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    UPCOMING = "upcoming"

    @property
    def label(self) -> str:
        return str(COMPLIANCE_LABELS[self])


COMPLIANCE_LABELS = {
    Compliance.ON_TIME: _l("À temps"),
    Compliance.LATE: _l("En retard"),
    Compliance.MISSING: _l("Manquant"),
    Compliance.UPCOMING: _l("À venir"),
}


def compliance_of(status: str, due: date, submitted_at: datetime | None, today: date) -> Compliance:
    if submitted_at is not None and ReportStatus(status) in SUBMITTED_STATES:
        return Compliance.ON_TIME if to_local(submitted_at).date() <= due else Compliance.LATE
    if ReportStatus(status) in AWAITING_SUBMISSION and due < today:
        return Compliance.MISSING
    return Compliance.UPCOMING


@dataclass
class OrganizationLine:
    organization_id: int
    name: str
    region: str
    agreements: list[str] = field(default_factory=list)
    committed: Decimal = ZERO
    indexed: Decimal = ZERO
    paid: Decimal = ZERO
    held: int = 0
    reports: dict[Compliance, int] = field(default_factory=lambda: dict.fromkeys(Compliance, 0))
    people: int | None = None
    indicators: dict[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    """Indicator id -> (target, achieved) summed over the organization's chosen reports."""

    @property
    def indexation(self) -> Decimal:
        return self.indexed - self.committed


@dataclass(frozen=True)
class IndicatorLine:
    indicator: Indicator
    target: Decimal | None
    achieved: Decimal | None
    reporting: int  # organizations that gave a value

    @property
    def ratio(self) -> Decimal | None:
        if not self.target or self.achieved is None:
            return None
        return self.achieved / self.target


@dataclass(frozen=True)
class AdsTable:
    variable: adsplus.Variable
    table: SuppressedTable


@dataclass
class ProgramReport:
    program: Program
    fiscal_year: FiscalYear
    generated_on: date
    organizations: list[OrganizationLine]
    indicators: list[IndicatorLine]
    breakdowns: list[AdsTable]
    by_organization: SuppressedTable | None  # organizations × gender
    people_total: int

    @property
    def committed(self) -> Decimal:
        return sum((o.committed for o in self.organizations), ZERO)

    @property
    def indexed(self) -> Decimal:
        return sum((o.indexed for o in self.organizations), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((o.paid for o in self.organizations), ZERO)

    @property
    def indexation(self) -> Decimal:
        return self.indexed - self.committed

    @property
    def held(self) -> int:
        return sum(o.held for o in self.organizations)

    @property
    def compliance(self) -> dict[Compliance, int]:
        totals = dict.fromkeys(Compliance, 0)
        for line in self.organizations:
            for key, count in line.reports.items():
                totals[key] += count
        return totals

    @property
    def reports_total(self) -> int:
        return sum(self.compliance.values())

    def people_of(self, organization_id: int) -> Any:
        """The organization's people reached as published: the row total of the organizations ×
        gender table (`< 5` or `x` when hidden there), never the raw count beside it."""
        table = self.by_organization
        if table is None or organization_id not in table.rows:
            return None
        return table.row_totals[table.rows.index(organization_id)]

    @property
    def people_reached(self) -> Any:
        """The program's people reached as published (the grand total of the same table)."""
        return self.by_organization.grand_total if self.by_organization is not None else None

    def organization_name(self, organization_id: Any) -> str:
        for line in self.organizations:
            if line.organization_id == organization_id:
                return line.name
        return str(organization_id)

    # -- charts ---------------------------------------------------------------------------------
    def money_bars(self, fmt: Callable[[Decimal], str]) -> list[Bar]:
        values = [
            (_l("Engagé"), self.committed, "committed"),
            (_l("Indexé"), self.indexed, "indexed"),
            (_l("Versé"), self.paid, "paid"),
        ]
        top = max((v for _, v, _k in values), default=ZERO) or Decimal(1)
        return [Bar(str(label), float(v / top), fmt(v), kind) for label, v, kind in values]

    def compliance_bars(self) -> list[Bar]:
        counts = self.compliance
        total = sum(counts.values()) or 1
        return [Bar(c.label, counts[c] / total, str(counts[c]), c.value) for c in Compliance]

    def indicator_bars(self, fmt: Callable[[Decimal], str]) -> list[Bar]:
        ratios = [(line, line.ratio) for line in self.indicators if line.ratio is not None]
        top = max([Decimal(1), *(r for _, r in ratios)])
        return [Bar(line.indicator.label, float(r / top), fmt(r), "indicator") for line, r in ratios]

    def breakdown_bars(self, breakdown: AdsTable) -> list[Bar]:
        """The shown counts of a one-way breakdown; a hidden one gets no bar, only its marker, so a
        chart never gives away what its table hides."""
        cells = [line.cells[0] for line in breakdown.table.body]
        shown = [c.value for c in cells if c.value is not None]
        top = max(shown, default=0) or 1
        bars = []
        for line, cell in zip(breakdown.table.body, cells, strict=True):
            if cell.value is None:
                bars.append(Bar(str(line.key), 0.0, str(cell.marker), "hidden"))
            else:
                bars.append(Bar(str(line.key), cell.value / top, str(cell.value), "people"))
        return bars


# -- gathering ----------------------------------------------------------------------------------------
def _in_force() -> Any:
    """An agreement a version of which was countersigned (in force, or amended since)."""
    return exists().where(
        AgreementVersion.agreement_id == Agreement.id, AgreementVersion.countersigned_at.is_not(None)
    )


def _chosen_reports(program_id: int, year: FiscalYear) -> Any:
    """The submitted report that speaks for each agreement's year: the annual (or final) one when
    it is in, else the mid-year one (a subquery: report id, agreement id, organization id)."""
    rank = (
        func.row_number()
        .over(
            partition_by=Report.agreement_id,
            order_by=(case((Report.kind == ReportKind.MIDYEAR.value, 1), else_=0), Report.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(Report.id, Report.agreement_id, Report.organization_id, Report.people_total, rank)
        .where(
            Report.program_id == program_id,
            Report.fiscal_year == year,
            Report.status.in_([s.value for s in SUBMITTED_STATES]),
            Report.submitted_at.is_not(None),
        )
        .subquery()
    )
    return (
        select(ranked.c.id, ranked.c.agreement_id, ranked.c.organization_id, ranked.c.people_total)
        .where(ranked.c.rank == 1)
        .subquery()
    )


def gather(program: Program, year: FiscalYear, *, today: date | None = None) -> ProgramReport:
    """Every figure of the report, by set-based statements; small counts suppressed."""
    return suppress_tables(collect(program, year, today=today))


@dataclass
class _Collected:
    program: Program
    fiscal_year: FiscalYear
    today: date
    organizations: list[OrganizationLine]
    indicators: list[IndicatorLine]
    reach: dict[int, dict[str, dict[str, int]]]  # organization -> variable -> category -> count
    variables: list[adsplus.Variable]


def collect(program: Program, year: FiscalYear, *, today: date | None = None) -> _Collected:
    """The raw figures (counts not yet suppressed: never rendered as such)."""
    today = today or clock.today()
    lines: dict[int, OrganizationLine] = {}

    # 1. Amounts committed (as approved) and indexed (as they stand), per organization.
    rows = db.session.execute(
        select(
            Organization.id,
            Organization.legal_name,
            Organization.region_code,
            Agreement.number,
            AgreementYear.approved_amount,
            AgreementYear.amount,
        )
        .join(Agreement, Agreement.id == AgreementYear.agreement_id)
        .join(Organization, Organization.id == Agreement.organization_id)
        .where(Agreement.program_id == program.id, AgreementYear.fiscal_year == year, _in_force())
        .order_by(func.lower(Organization.legal_name), Organization.id, Agreement.number)
    ).all()
    for organization_id, name, region, number, approved, amount in rows:
        line = lines.setdefault(organization_id, OrganizationLine(organization_id, name, region or ""))
        line.agreements.append(number)
        line.committed += approved or ZERO
        line.indexed += amount or ZERO

    def line_of(organization_id: int) -> OrganizationLine | None:
        return lines.get(organization_id)

    # 2. Paid and held installments of the year.
    for organization_id, paid, held in db.session.execute(
        select(
            Installment.organization_id,
            func.coalesce(
                func.sum(case((Installment.status == InstallmentStatus.PAID.value, Installment.amount))), 0
            ),
            func.count(case((Installment.status == InstallmentStatus.HELD.value, 1))),
        )
        .where(Installment.program_id == program.id, Installment.fiscal_year == year)
        .group_by(Installment.organization_id)
    ):
        line = line_of(organization_id)
        if line is not None:
            line.paid, line.held = Decimal(paid), held

    # 3. Report compliance: every report of the year but the cancelled ones.
    for organization_id, status, due, submitted_at in db.session.execute(
        select(Report.organization_id, Report.status, Report.due_date, Report.submitted_at).where(
            Report.program_id == program.id,
            Report.fiscal_year == year,
            Report.status != ReportStatus.CANCELLED.value,
        )
    ):
        line = line_of(organization_id)
        if line is not None:
            line.reports[compliance_of(status, due, submitted_at, today)] += 1

    chosen = _chosen_reports(program.id, year)

    # 4. People reached, as the chosen reports say.
    for organization_id, people in db.session.execute(
        select(chosen.c.organization_id, func.sum(chosen.c.people_total)).group_by(chosen.c.organization_id)
    ):
        line = line_of(organization_id)
        if line is not None and people is not None:
            line.people = int(people)

    # 5. Indicators against targets.
    indicators = indicators_of(program.id)
    sums = {
        indicator_id: (target, achieved, reporting)
        for indicator_id, target, achieved, reporting in db.session.execute(
            select(
                ReportIndicatorValue.indicator_id,
                func.sum(ReportIndicatorValue.target),
                func.sum(ReportIndicatorValue.achieved),
                func.count(ReportIndicatorValue.achieved),
            )
            .join(chosen, chosen.c.id == ReportIndicatorValue.report_id)
            .group_by(ReportIndicatorValue.indicator_id)
        )
    }
    indicator_lines = [IndicatorLine(i, *(sums.get(i.id) or (None, None, 0))) for i in indicators]
    for organization_id, indicator_id, target, achieved in db.session.execute(
        select(
            chosen.c.organization_id,
            ReportIndicatorValue.indicator_id,
            func.sum(ReportIndicatorValue.target),
            func.sum(ReportIndicatorValue.achieved),
        )
        .join(chosen, chosen.c.id == ReportIndicatorValue.report_id)
        .group_by(chosen.c.organization_id, ReportIndicatorValue.indicator_id)
    ):
        line = line_of(organization_id)
        if line is not None:
            line.indicators[indicator_id] = (target, achieved)

    # 6. ADS+ counts by organization, variable and category.
    reach: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for organization_id, variable, category, count in db.session.execute(
        select(
            chosen.c.organization_id,
            ReportReachCount.variable,
            ReportReachCount.category,
            func.sum(ReportReachCount.count),
        )
        .join(chosen, chosen.c.id == ReportReachCount.report_id)
        .group_by(chosen.c.organization_id, ReportReachCount.variable, ReportReachCount.category)
    ):
        if organization_id in lines:
            reach[organization_id][variable][category] = int(count)

    return _Collected(
        program,
        year,
        today,
        list(lines.values()),
        indicator_lines,
        reach,
        variables_for(settings_for(program.id)),
    )


def suppress_tables(collected: _Collected) -> ProgramReport:
    """Turn the raw counts into what may be published: one table per ADS+ variable (all
    organizations), and organizations × gender, both through `suppress`."""
    breakdowns = []
    for variable in collected.variables:
        per_organization = [
            {code: n for code, n in by_variable.get(variable.code, {}).items() if code in variable.codes}
            for by_variable in collected.reach.values()
        ]
        table = adsplus.aggregate(per_organization, variable)
        if table.grand_total:
            breakdowns.append(AdsTable(variable, suppress(table)))
    reached = {
        o.organization_id: [
            {
                code: n
                for code, n in collected.reach.get(o.organization_id, {}).get("gender", {}).items()
                if code in adsplus.GENDER.codes
            }
        ]
        for o in collected.organizations
        if collected.reach.get(o.organization_id, {}).get("gender")
    }
    by_organization = None
    if reached:
        table: CountTable = _without_empty_columns(adsplus.by_group(reached, adsplus.GENDER))
        if table.grand_total:
            by_organization = suppress(table)
    return ProgramReport(
        program=collected.program,
        fiscal_year=collected.fiscal_year,
        generated_on=collected.today,
        organizations=collected.organizations,
        indicators=collected.indicators,
        breakdowns=breakdowns,
        by_organization=by_organization,
        people_total=sum(o.people or 0 for o in collected.organizations),
    )


def _without_empty_columns(table: CountTable) -> CountTable:
    """Leave out the categories nobody is counted in (e.g. "prefers not to say" when no report
    uses it): zeros are never hidden and add nothing to any total, so protection is unchanged,
    and the widest table of the report gets narrower."""
    keep = [j for j, total in enumerate(table.column_totals) if total]
    if not keep or len(keep) == len(table.columns):
        return table
    return CountTable(
        table.rows,
        tuple(table.columns[j] for j in keep),
        tuple(tuple(line[j] for j in keep) for line in table.counts),
    )


# -- rendering ----------------------------------------------------------------------------------------
def file_name(program: Program, year: FiscalYear, language: str) -> str:
    return f"rapport-programme-{program.code}-{year}-{language}.pdf"


def render(program: Program, year: FiscalYear, *, language: str = "fr", progress: Any = None) -> bytes:
    """The report as PDF bytes; `progress(done)` is told after each step (a job's `advance`)."""
    from grants.core.pdf import render_pdf

    step = progress or (lambda done: None)
    collected = collect(program, year)
    step(1)
    report = suppress_tables(collected)
    step(2)
    data = render_pdf(
        "accountability/pdf/program_report.html",
        language=language,
        report=report,
        compliance=list(Compliance),
        money_short=money_short,
        percent=lambda rate: percent(rate, decimals=0),
    )
    step(3)
    return data


def csv_file_name(program: Program, year: FiscalYear) -> str:
    return f"rapport-programme-{program.code}-{year}-organismes.csv"


def _label(key: Any) -> str:
    return str(getattr(key, "label", key))


def csv_table(report: ProgramReport) -> tuple[list[str], list[list[Any]]]:
    """The report's table per organization as CSV (header, rows, then the totals line): amounts
    committed, indexed and paid, reports by compliance, each indicator's target and achievement,
    and the people reached by gender. Every ADS+ count is a published cell of the organizations ×
    gender table (`suppress`: `< 5` or `x` where hidden), never a raw count; the file goes through
    `grants.core.listing.csv_response` (formula cells neutralized)."""
    table = report.by_organization
    genders = list(table.columns) if table is not None else []
    header = [
        str(_l("Organisme")),
        str(_l("Région")),
        str(_l("Conventions")),
        str(_l("Engagé ($)")),
        str(_l("Indexé ($)")),
        str(_l("Indexation ($)")),
        str(_l("Versé ($)")),
        str(_l("Versements retenus")),
        *(str(_l("Rapports : %(compliance)s", compliance=c.label)) for c in Compliance),
        *(
            str(text)
            for line in report.indicators
            for text in (
                _l("%(indicator)s : cible", indicator=line.indicator.label),
                _l("%(indicator)s : atteint", indicator=line.indicator.label),
            )
        ),
        *(str(_l("Personnes rejointes : %(gender)s", gender=_label(g))) for g in genders),
        str(_l("Personnes rejointes")),
    ]

    def people(organization_id: int) -> list[Any]:
        if table is None or organization_id not in table.rows:
            return [""] * (len(genders) + 1)
        row = table.rows.index(organization_id)
        return [cell.csv_value for cell in (*table.cells[row], table.row_totals[row])]

    rows = []
    for line in report.organizations:
        rows.append(
            [
                line.name,
                line.region,
                " ".join(line.agreements),
                line.committed,
                line.indexed,
                line.indexation,
                line.paid,
                line.held,
                *(line.reports[c] for c in Compliance),
                *(v for i in report.indicators for v in line.indicators.get(i.indicator.id, (None, None))),
                *people(line.organization_id),
            ]
        )
    totals = (
        [cell.csv_value for cell in (*table.column_totals, table.grand_total)]
        if table is not None
        else [""] * (len(genders) + 1)
    )
    rows.append(
        [
            str(_l("Total")),
            "",
            "",
            report.committed,
            report.indexed,
            report.indexation,
            report.paid,
            report.held,
            *(report.compliance[c] for c in Compliance),
            *(v for i in report.indicators for v in (i.target, i.achieved)),
            *totals,
        ]
    )
    return header, rows


def build_for_job(job_id: int) -> int | None:
    """What the Celery task runs: build the job's report, store it, mark the job done (the file
    and the job commit together); on any error the job says it failed. Answers the file's id."""
    from grants.files.pdf_jobs import run_pdf_job

    def build(job: Any, progress: Any) -> tuple[bytes, str]:
        program = db.session.get(Program, job.program_id)
        year = FiscalYear(int(job.params["fiscal_year"]))
        language = job.params.get("language", "fr")
        return render(program, year, language=language, progress=progress), file_name(program, year, language)

    return run_pdf_job(job_id, build, steps=STEPS)


def program_by_code(code: str) -> Program | None:
    return db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()


def years_with_agreements(program_id: int) -> list[FiscalYear]:
    """The fiscal years the program's agreements cover, latest first (the page's choice)."""
    return sorted(
        set(
            db.session.scalars(
                select(AgreementYear.fiscal_year)
                .join(Agreement, Agreement.id == AgreementYear.agreement_id)
                .where(and_(Agreement.program_id == program_id))
                .distinct()
            )
        ),
        reverse=True,
    )
