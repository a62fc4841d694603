"""Budget supervision (issue 11, item 5): the plan's money by axis and by measure, for one fiscal
year or for the plan's whole period, against the floor of the victims' axis, and the CSESM
recommendations the funded measures answer.

What is counted
- **Committed, our grants**: each agreement's amount for the year (`AgreementYear.amount`, as it
  stands after indexation), every agreement (an agreement exists only once its request was
  approved: the decision commits the money, signature or not).
- **Paid, our grants**: the agreement's installments of the year that are paid.
- **Which measure a grant counts under** (never twice): the plan measures its request names
  (`request_measures`), the amount split equally between them (to the cent, the odd cents to the
  first measures in the plan's order); a request that names none counts under its program's
  measure (`Program.measure_id`); a grant with neither is shown apart as "no measure of the plan"
  and left out of the shares. Paid amounts are split the same way.
- **Other ministries' funding**: the imported lines tagged with a measure of the plan
  (`ExternalFunding.measure_id`) count as committed for their amount and fiscal year. The import
  says nothing of payments: their paid amount is not known and they add nothing to "paid" (the
  paid column is our grants' only, and says so).
- **Shares**: each axis's committed total (ours + others) over the committed total of every axis.
  The victims' axis (`PlanAxis.victims_axis`) is compared with the floor the cell sets
  (`CoordinationSettings.victims_floor_percent`, 20 % by default, brief recommendation 6).
- **CSESM coverage**: a measure is funded when something is committed under it in the period; a
  recommendation is answered when at least one funded measure of the plan is linked to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from grants.agreements.models import Agreement, AgreementYear
from grants.coordination.models import CoordinationSettings, ExternalFunding
from grants.core.audit import record_change
from grants.core.charts import Bar, Marker
from grants.core.clock import current_fiscal_year
from grants.core.db import db, utcnow
from grants.core.i18n import current_language
from grants.core.money import round_cent
from grants.fiscal import FiscalYear
from grants.payments.models import Installment
from grants.payments.workflow import InstallmentStatus
from grants.programs.models import Program
from grants.reference.models import ActionPlan, Measure, PlanAxis, Recommendation
from grants.reference.queries import current_plan
from grants.requests.models import request_measures

ZERO = Decimal("0.00")
WHOLE_PLAN = "plan"
DEFAULT_FLOOR = Decimal("20.00")


# -- the cell's settings --------------------------------------------------------------------------------
def settings() -> CoordinationSettings:
    """The one settings row (created with its defaults the first time it is asked for)."""
    found = db.session.scalar(select(CoordinationSettings).order_by(CoordinationSettings.id).limit(1))
    if found is None:
        found = CoordinationSettings(victims_floor_percent=DEFAULT_FLOOR)
        db.session.add(found)
        db.session.flush()
    return found


def floor_percent() -> Decimal:
    found = db.session.scalar(
        select(CoordinationSettings.victims_floor_percent).order_by(CoordinationSettings.id).limit(1)
    )
    return Decimal(found) if found is not None else DEFAULT_FLOOR


def set_floor(value: Decimal, *, actor: Any) -> bool:
    """Change the victims' axis floor (percent), audited; says whether it changed."""
    row = settings()
    changed = record_change(
        "coordination.floor_changed",
        row,
        "victims_floor_percent",
        round_cent(value),
        actor=actor,
    )
    if changed:
        row.updated_by_id = getattr(actor, "id", None)
        row.updated_at = utcnow()
        db.session.flush()
    return changed


# -- the period -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A fiscal year of the plan, or the plan's whole period (`year` None)."""

    plan: ActionPlan
    year: FiscalYear | None

    @property
    def years(self) -> list[FiscalYear]:
        return [self.year] if self.year is not None else plan_years(self.plan)

    @property
    def key(self) -> str:
        """As the page's selector and the job's parameters write it: `2026` or `plan`."""
        return str(self.year.start_year) if self.year is not None else WHOLE_PLAN

    @property
    def label(self) -> str:
        if self.year is not None:
            return str(self.year)
        return str(_l("plan %(code)s (ensemble)", code=self.plan.code))


def plan_years(plan: ActionPlan) -> list[FiscalYear]:
    """The fiscal years a plan runs (2026-2029: 2026-2027, 2027-2028 and 2028-2029)."""
    return [FiscalYear(year) for year in range(plan.start_year, max(plan.end_year, plan.start_year + 1))]


def period_of(key: str | None, plan: ActionPlan) -> Period:
    """The period a selector value names; anything else (missing, unknown, outside the plan) is the
    current fiscal year when the plan runs then, else the plan's first year."""
    years = plan_years(plan)
    if key == WHOLE_PLAN:
        return Period(plan, None)
    if key and key.isascii() and key.isdigit() and len(key) == 4:
        chosen = FiscalYear(int(key))
        if chosen in years:
            return Period(plan, chosen)
    current = current_fiscal_year()
    return Period(plan, current if current in years else years[0])


def dashboard_plan() -> ActionPlan | None:
    return current_plan()


# -- the figures --------------------------------------------------------------------------------------------
@dataclass
class MeasureLine:
    measure: Measure
    ours: Decimal = ZERO
    others: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def committed(self) -> Decimal:
        return self.ours + self.others

    @property
    def funded(self) -> bool:
        return self.committed > 0


@dataclass
class AxisLine:
    axis: PlanAxis
    measures: list[MeasureLine] = field(default_factory=list)
    share: Decimal | None = None  # of the committed total, 0 to 1

    @property
    def ours(self) -> Decimal:
        return sum((m.ours for m in self.measures), ZERO)

    @property
    def others(self) -> Decimal:
        return sum((m.others for m in self.measures), ZERO)

    @property
    def committed(self) -> Decimal:
        return self.ours + self.others

    @property
    def paid(self) -> Decimal:
        return sum((m.paid for m in self.measures), ZERO)


@dataclass(frozen=True)
class CoverageLine:
    axis: PlanAxis
    linked: int  # recommendations the axis's measures answer
    answered: int  # of those, answered by a funded measure of the axis

    @property
    def ratio(self) -> Decimal | None:
        return Decimal(self.answered) / Decimal(self.linked) if self.linked else None


@dataclass(frozen=True)
class Unanswered:
    recommendation: Recommendation
    measures: list[Measure]  # the plan's measures linked to it (none funded)


@dataclass
class Dashboard:
    period: Period
    axes: list[AxisLine]
    unattributed: Decimal  # our grants with no measure of the plan: committed
    unattributed_paid: Decimal
    others_elsewhere: Decimal  # imported lines of the period without a measure of the plan
    floor: Decimal  # percent
    previous: ActionPlan | None
    coverage: list[CoverageLine]
    answered: list[Recommendation]
    unanswered: list[Unanswered]
    recommendations_total: int
    language: str | None = None  # a PDF's language; None: the reader's (a page)

    def title(self, obj: Any) -> str:
        """A plan's, an axis's or a measure's title in the dashboard's language (a PDF is rendered
        in its own language, whatever the request's)."""
        if self.language is None:
            return str(obj.title)
        english = getattr(obj, "title_en", None) if self.language == "en" else None
        return str(english or obj.title_fr)

    def _english(self) -> bool:
        return self.language == "en" or (self.language is None and current_language() == "en")

    def summary_is_french(self, recommendation: Recommendation) -> bool:
        """The summary shown is the French text (marked `lang="fr"` in an English page)."""
        return not (self._english() and recommendation.text_en)

    def summary(self, recommendation: Recommendation) -> str:
        """A recommendation's first sentence, in English when the dashboard is and a translation
        exists (the commission published in French)."""
        text = (recommendation.text_en if self._english() else None) or recommendation.text_fr
        first = text.split("\n", 1)[0]
        return first if len(first) <= 180 else first[:177].rsplit(" ", 1)[0] + "…"

    def label(self, measure: Measure) -> str:
        return f"{measure.number}. {self.title(measure)}"

    @property
    def plan(self) -> ActionPlan:
        return self.period.plan

    @property
    def committed(self) -> Decimal:
        return sum((a.committed for a in self.axes), ZERO)

    @property
    def ours(self) -> Decimal:
        return sum((a.ours for a in self.axes), ZERO)

    @property
    def others(self) -> Decimal:
        return sum((a.others for a in self.axes), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((a.paid for a in self.axes), ZERO)

    @property
    def victims(self) -> AxisLine | None:
        return next((a for a in self.axes if a.axis.victims_axis), None)

    @property
    def below_floor(self) -> bool:
        """The victims' axis share is under the floor (only once something is committed)."""
        victims = self.victims
        if victims is None or victims.share is None:
            return False
        return victims.share * 100 < self.floor

    @property
    def measures(self) -> list[tuple[AxisLine, MeasureLine]]:
        return [(axis, line) for axis in self.axes for line in axis.measures]

    def share_bars(self, fmt_percent: Any, fmt_money: Any) -> list[Bar]:
        """One bar per axis, its share of the committed total (scaled so the floor fits)."""
        top = max([self.floor / 100, *(a.share or ZERO for a in self.axes)]) or Decimal(1)
        bars = []
        for line in self.axes:
            share = line.share or ZERO
            kind = "committed"
            if line.axis.victims_axis:
                kind = "under" if self.below_floor else "victims"
            text = f"{fmt_percent(share)} ({fmt_money(line.committed)})"
            bars.append(Bar(self.title(line.axis), float(share / top), text, kind))
        return bars

    def floor_marker(self, fmt_percent: Any, label: str) -> Marker:
        top = max([self.floor / 100, *(a.share or ZERO for a in self.axes)]) or Decimal(1)
        return Marker(float(self.floor / 100 / top), f"{label} {fmt_percent(self.floor / 100)}")

    def previous_bars(self, fmt_percent: Any) -> list[Bar]:
        if self.previous is None:
            return []
        shares = [(a, (a.budget_share_percent or ZERO) / 100) for a in self.previous.axes]
        top = max([self.floor / 100, *(s for _a, s in shares)]) or Decimal(1)
        return [
            Bar(self.title(a), float(s / top), fmt_percent(s), "victims" if a.victims_axis else "committed")
            for a, s in shares
        ]


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` equal shares to the cent, the odd cents on the first shares."""
    if parts <= 1:
        return [amount]
    base, rest = divmod(int(round_cent(amount).scaleb(2)), parts)
    return [Decimal(base + (1 if i < rest else 0)).scaleb(-2) for i in range(parts)]


def attribution(plan: ActionPlan) -> dict[int, list[int]]:
    """Each agreement's measures of the plan (see the module's docstring): the request's, in the
    plan's order, else the program's; an agreement with none is absent."""
    named: dict[int, list[int]] = defaultdict(list)
    for agreement_id, measure_id in db.session.execute(
        select(Agreement.id, request_measures.c.measure_id)
        .join(request_measures, request_measures.c.request_id == Agreement.request_id)
        .join(Measure, Measure.id == request_measures.c.measure_id)
        .where(Measure.plan_id == plan.id)
        .order_by(Agreement.id, Measure.sort_order, Measure.id)
    ):
        named[agreement_id].append(measure_id)
    for agreement_id, measure_id in db.session.execute(
        select(Agreement.id, Program.measure_id)
        .join(Program, Program.id == Agreement.program_id)
        .join(Measure, Measure.id == Program.measure_id)
        .where(Measure.plan_id == plan.id)
    ):
        named.setdefault(agreement_id, [measure_id])
    return dict(named)


def gather(period: Period) -> Dashboard:
    """Every figure of the dashboard for the period (a handful of grouped statements)."""
    plan = period.plan
    years = period.years
    axes = list(
        db.session.scalars(
            select(PlanAxis)
            .where(PlanAxis.plan_id == plan.id)
            .order_by(PlanAxis.sort_order, PlanAxis.id)
            .options(selectinload(PlanAxis.measures).selectinload(Measure.recommendations))
        )
    )
    lines = {m.id: MeasureLine(m) for axis in axes for m in axis.measures}
    measures_of = attribution(plan)

    unattributed = unattributed_paid = ZERO
    committed = db.session.execute(
        select(AgreementYear.agreement_id, func.sum(AgreementYear.amount))
        .where(AgreementYear.fiscal_year.in_(years))
        .group_by(AgreementYear.agreement_id)
    ).all()
    for agreement_id, amount in committed:
        targets = [m for m in measures_of.get(agreement_id, []) if m in lines]
        if not targets:
            unattributed += Decimal(amount)
            continue
        for measure_id, part in zip(targets, split(Decimal(amount), len(targets)), strict=True):
            lines[measure_id].ours += part
    paid = db.session.execute(
        select(Installment.agreement_id, func.sum(Installment.amount))
        .where(Installment.fiscal_year.in_(years), Installment.status == InstallmentStatus.PAID.value)
        .group_by(Installment.agreement_id)
    ).all()
    for agreement_id, amount in paid:
        targets = [m for m in measures_of.get(agreement_id, []) if m in lines]
        if not targets:
            unattributed_paid += Decimal(amount)
            continue
        for measure_id, part in zip(targets, split(Decimal(amount), len(targets)), strict=True):
            lines[measure_id].paid += part

    others_elsewhere = ZERO
    for measure_id, amount in db.session.execute(
        select(ExternalFunding.measure_id, func.sum(ExternalFunding.amount))
        .where(ExternalFunding.fiscal_year.in_(years))
        .group_by(ExternalFunding.measure_id)
    ):
        if measure_id in lines:
            lines[measure_id].others += Decimal(amount)
        else:
            others_elsewhere += Decimal(amount)

    axis_lines = [AxisLine(axis, [lines[m.id] for m in axis.measures]) for axis in axes]
    total = sum((a.committed for a in axis_lines), ZERO)
    for line in axis_lines:
        line.share = line.committed / total if total > 0 else None

    coverage, answered, unanswered, count = _coverage(plan, axis_lines)
    return Dashboard(
        period=period,
        axes=axis_lines,
        unattributed=unattributed,
        unattributed_paid=unattributed_paid,
        others_elsewhere=others_elsewhere,
        floor=floor_percent(),
        previous=previous_plan(plan),
        coverage=coverage,
        answered=answered,
        unanswered=unanswered,
        recommendations_total=count,
    )


def _coverage(
    plan: ActionPlan, axes: list[AxisLine]
) -> tuple[list[CoverageLine], list[Recommendation], list[Unanswered], int]:
    funded = {line.measure.id for axis in axes for line in axis.measures if line.funded}
    coverage = []
    for axis in axes:
        linked: set[int] = set()
        answered: set[int] = set()
        for line in axis.measures:
            numbers = {r.number for r in line.measure.recommendations}
            linked |= numbers
            if line.funded:
                answered |= numbers
        coverage.append(CoverageLine(axis.axis, len(linked), len(answered)))
    recommendations = list(
        db.session.scalars(
            select(Recommendation)
            .order_by(Recommendation.number)
            .options(selectinload(Recommendation.measures))
        )
    )
    yes, no = [], []
    for recommendation in recommendations:
        of_plan = [m for m in recommendation.measures if m.plan_id == plan.id]
        if any(m.id in funded for m in of_plan):
            yes.append(recommendation)
        else:
            no.append(Unanswered(recommendation, of_plan))
    return coverage, yes, no, len(recommendations)


def previous_plan(plan: ActionPlan) -> ActionPlan | None:
    """The latest earlier plan whose real split by axis is known (2021-2026 beside 2026-2029)."""
    candidates = db.session.scalars(
        select(ActionPlan)
        .where(ActionPlan.start_year < plan.start_year)
        .order_by(ActionPlan.start_year.desc())
        .options(selectinload(ActionPlan.axes))
    )
    for candidate in candidates:
        if any(a.budget_share_percent is not None for a in candidate.axes):
            return candidate
    return None
