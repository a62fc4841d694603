"""Which rate a program's rule gives for a fiscal year: the one home of that mapping.

- annual-average: the change of the annual average of the last calendar year complete before the
  fiscal year starts (2027-2028 uses 2026 over 2025);
- twelve-month and moving-average: to the latest occurrence of the rule's reference month before
  1 April (reference month 12 gives December 2026 for 2027-2028; 3 gives March 2027);
- fixed: the rate the ministry recorded for that fiscal year, within the bounds of the settings
  INDEXATION_RATE_MIN / INDEXATION_RATE_MAX (a rate outside them, stored before they existed, is
  refused with its year named rather than applied).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from grants.core.db import db
from grants.core.money import round_cent
from grants.cpi import rates
from grants.cpi.models import CpiSeries
from grants.cpi.operations import values_of
from grants.cpi.rates import InputKind, Rate, RateInput, RateMethod
from grants.fiscal import START_MONTH, FiscalYear
from grants.indexation.models import FixedRate, IndexationRule, Rounding
from grants.programs.models import Program

DOLLAR = Decimal("1")
RATE_PLACES = 3  # FixedRate.percent is NUMERIC(7, 3)
DEFAULT_BOUNDS = (Decimal("-10"), Decimal("20"))


class NoRate(LookupError):
    """The rule cannot give a rate (no rule, no series, no fixed rate decided); `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateRefused(ValueError):
    """A fixed rate that cannot be recorded; `message` says why, in the user's language."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


def rate_bounds() -> tuple[Decimal, Decimal]:
    """The lowest and highest fixed rate, in percent (settings INDEXATION_RATE_MIN / _MAX)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_BOUNDS
    low, high = DEFAULT_BOUNDS
    return (
        Decimal(str(current_app.config.get("INDEXATION_RATE_MIN", low))),
        Decimal(str(current_app.config.get("INDEXATION_RATE_MAX", high))),
    )


def parse_rate(text: str) -> Decimal:
    """Read a rate typed in percent (`2,1`, `-0.5 %`); RateRefused when it is not a number."""
    cleaned = (text or "").strip().replace("\u00a0", "").replace("%", "").replace(",", ".").strip()
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite():
        raise RateRefused(_l("Écrivez le taux en pourcentage, par exemple 2,1."))
    return percent


def rate_problem(percent: Decimal | None) -> str | None:
    """Why a fixed rate cannot be used (not a finite number, outside the bounds, more than three
    decimals), or None when it can."""
    from grants.core.formatting import percent as as_percent

    low, high = rate_bounds()
    if percent is None or not Decimal(percent).is_finite() or not low <= percent <= high:
        return str(
            _l(
                "Le taux doit être un nombre de %(low)s à %(high)s.",
                low=as_percent(low / 100, decimals=0),
                high=as_percent(high / 100, decimals=0),
            )
        )
    if percent != percent.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        return str(_l("Le taux a au plus trois décimales."))
    return None


def rule_of(program: Program) -> IndexationRule | None:
    return db.session.execute(db.select(IndexationRule).filter_by(program_id=program.id)).scalar_one_or_none()


def reference_month(rule: IndexationRule, year: FiscalYear) -> date:
    month = rule.reference_month or 12
    return date(year.start_year if month < START_MONTH else year.start_year - 1, month, 1)


def rate_for(rule: IndexationRule, year: FiscalYear) -> Rate:
    """The rule's rate for `year`, with its inputs; MissingMonths or NoRate when it cannot be had."""
    method = RateMethod(rule.method)
    if method is RateMethod.FIXED:
        fixed = db.session.execute(
            db.select(FixedRate).filter_by(rule_id=rule.id, fiscal_year=year)
        ).scalar_one_or_none()
        if fixed is None:
            raise NoRate(str(_l("Aucun taux n'est fixé pour l'exercice %(year)s.", year=year)))
        problem = rate_problem(fixed.percent)
        if problem is not None:
            raise NoRate(
                str(
                    _l(
                        "Le taux fixé pour %(year)s ne peut pas être appliqué : %(problem)s Corrigez-le sur "
                        "la page de la règle.",
                        year=year,
                        problem=problem,
                    )
                )
            )
        decided = RateInput(InputKind.FIXED, fixed.decided_on.isoformat(), Decimal(fixed.percent))
        rate = Rate(method, Decimal(fixed.percent), (decided,), str(year))
    else:
        if rule.series is None:
            raise NoRate(str(_l("La règle ne nomme pas de série de l'IPC.")))
        values = values_of(rule.series)
        options = {"series": rule.series.name, "decimals": rule.decimals}
        if method is RateMethod.ANNUAL_AVERAGE:
            rate = rates.annual_average(values, year.start_year - 1, **options)
        elif method is RateMethod.TWELVE_MONTH:
            rate = rates.twelve_month(values, reference_month(rule, year), **options)
        else:
            rate = rates.moving_average(values, reference_month(rule, year), **options)
    return rates.floor_at_zero(rate) if rule.floor_at_zero else rate


def latest_computable_year(
    rule: IndexationRule | None, latest: FiscalYear, *, back: int = 3
) -> FiscalYear | None:
    """The latest year from `latest` down (at most `back` years earlier) whose rate the rule can
    give now: the indexation preview's default year, so its first answer is a preview and not
    "the months are not published yet" (issue 13, item 16). None when no such year."""
    if rule is None:
        return None
    year = latest
    for _ in range(back + 1):
        try:
            rate_for(rule, year)
        except (rates.MissingMonths, NoRate):
            year = year.previous()
            continue
        return year
    return None


def index_amount(amount: Decimal, rate: Rate, rounding: Rounding | str) -> Decimal:
    """An amount times the rate's factor, rounded half-up as the rule says (kept in cents)."""
    indexed = amount * rate.factor
    if Rounding(rounding) is Rounding.DOLLAR:
        indexed = indexed.quantize(DOLLAR, rounding=ROUND_HALF_UP)
    return round_cent(indexed)


def describe(rule: IndexationRule) -> dict[str, object]:
    """The rule as it stands: frozen in each run, compared before and after an edit (audit)."""
    series = db.session.get(CpiSeries, rule.series_id) if rule.series_id else None
    return {
        "series": series.name if series else None,
        "method": rule.method,
        "reference_month": rule.reference_month,
        "rounding": rule.rounding,
        "floor_at_zero": rule.floor_at_zero,
        "decimals": rule.decimals,
    }
