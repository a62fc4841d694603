"""Rates of change drawn from a monthly CPI series: the one home of how a rate is computed.

By default a rate is computed as Statistics Canada publishes its changes: from the published index
values (one decimal; an annual average is the mean of the twelve months rounded to one decimal, as
table 18-10-0005-01 gives it) and rounded to one decimal of a percent. `decimals` asks for more.
A rate that needs a month the series does not have is refused with the missing months named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from grants.core import formatting
from grants.core.enums import LabelledEnum
from grants.cpi.months import add_months, month_label, month_range, parse_month

ONE_DECIMAL = Decimal("0.1")


class RateMethod(LabelledEnum):
    # change of the annual average, last complete calendar year
    ANNUAL_AVERAGE = "annual-average", _l("Variation de la moyenne annuelle (dernière année civile complète)")
    # change from the same month a year earlier
    TWELVE_MONTH = "twelve-month", _l("Variation sur 12 mois au mois de référence")
    # change of the 12-month moving average ending that month
    MOVING_AVERAGE = "moving-average", _l("Variation de la moyenne mobile de 12 mois au mois de référence")
    # a rate the ministry decided for the fiscal year
    FIXED = "fixed", _l("Taux fixé par le ministère pour l'exercice")


METHOD_LABELS = RateMethod.labels()


class MissingMonths(LookupError):
    """The series lacks months the rate needs; they are named, never guessed."""

    def __init__(self, series: str, months: list[date]) -> None:
        self.series, self.months = series, months
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(
            _l(
                "La série %(series)s n'a pas encore ces mois : %(months)s. Importez-les ou saisissez-les "
                "avant de calculer ce taux.",
                series=self.series,
                months=", ".join(formatting.month_name(m) for m in self.months),
            )
        )


class InputKind(StrEnum):
    """What a figure a rate came from is: stored as this kind and its period, never as a sentence,
    so each reader sees it in their own language (`input_label`)."""

    MONTH = "month"  # one month's index: first = "2025-09"
    ANNUAL_AVERAGE = "annual-average"  # a calendar year's average: first = "2025"
    AVERAGE = "average"  # the average of the months from `first` to `last` ("2024-10", "2025-09")
    FIXED = "fixed"  # a rate the ministry decided: first = the day it was decided ("2026-03-12")


def _month(stored: str) -> str:
    """A stored month (`2025-09`) as people read it; anything else as stored."""
    try:
        return formatting.month_name(parse_month(stored))
    except ValueError:
        return stored


def input_label(item: Mapping[str, Any] | RateInput) -> str:
    """A rate's input as people read it, in the language being rendered: « Moyenne 2025 » /
    "Average 2025", « Moyenne octobre 2024 à septembre 2025 », « septembre 2025 » (months through
    `formatting.month_name`). Runs stored before inputs were
    language-neutral (a `label` and no `kind`) show their stored label."""
    data = item.as_dict() if isinstance(item, RateInput) else item
    kind, first, last = data.get("kind"), str(data.get("first", "")), str(data.get("last", ""))
    if kind == InputKind.ANNUAL_AVERAGE:
        return gettext("Moyenne %(year)s", year=first)
    if kind == InputKind.AVERAGE:
        return gettext("Moyenne %(first)s à %(last)s", first=_month(first), last=_month(last))
    if kind == InputKind.MONTH:
        return _month(first)
    if kind == InputKind.FIXED:
        return gettext("Taux fixé le %(day)s", day=formatting.long_date(date.fromisoformat(first)))
    return str(data.get("label", ""))


@dataclass(frozen=True)
class RateInput:
    """One figure a rate came from, e.g. (annual average, "2025", 161.0) or (month, "2025-09", 165.2)."""

    kind: InputKind
    first: str
    value: Decimal
    last: str = ""

    @property
    def label(self) -> str:
        return input_label(self)

    def as_dict(self) -> dict[str, str]:
        stored = {"kind": self.kind.value, "first": self.first, "value": str(self.value)}
        if self.last:
            stored["last"] = self.last
        return stored


@dataclass(frozen=True)
class Rate:
    """A rate in percent (2.4 means 2,4 %), with the CPI values it came from."""

    method: RateMethod
    percent: Decimal
    inputs: tuple[RateInput, ...] = field(default_factory=tuple)
    period: str = ""  # e.g. "2025" or "2025-09"
    floored: bool = False  # a negative change brought to 0 by the rule

    @property
    def factor(self) -> Decimal:
        return 1 + self.percent / 100

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method.value,
            "percent": str(self.percent),
            "period": self.period,
            "floored": self.floored,
            "inputs": [i.as_dict() for i in self.inputs],
        }


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _need(series: str, values: Mapping[date, Decimal], months: list[date]) -> None:
    missing = [m for m in months if m not in values]
    if missing:
        raise MissingMonths(series, missing)


def _change(new: Decimal, old: Decimal, decimals: int) -> Decimal:
    return ((new / old - 1) * 100).quantize(_quantum(decimals), rounding=ROUND_HALF_UP)


def annual_average(values: Mapping[date, Decimal], year: int, *, series: str = "", decimals: int = 1) -> Rate:
    """Change of the annual average of `year` over that of `year - 1`."""
    months = month_range(date(year - 1, 1, 1), date(year, 12, 1))
    _need(series, values, months)
    averages = []
    for calendar_year in (year - 1, year):
        twelve = [values[m] for m in months if m.year == calendar_year]
        averages.append((sum(twelve) / 12).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))
    inputs = (
        RateInput(InputKind.ANNUAL_AVERAGE, str(year - 1), averages[0]),
        RateInput(InputKind.ANNUAL_AVERAGE, str(year), averages[1]),
    )
    return Rate(RateMethod.ANNUAL_AVERAGE, _change(averages[1], averages[0], decimals), inputs, str(year))


def twelve_month(values: Mapping[date, Decimal], month: date, *, series: str = "", decimals: int = 1) -> Rate:
    """Change from the same month a year earlier."""
    earlier = add_months(month, -12)
    _need(series, values, [earlier, month])
    inputs = (
        RateInput(InputKind.MONTH, month_label(earlier), values[earlier]),
        RateInput(InputKind.MONTH, month_label(month), values[month]),
    )
    return Rate(
        RateMethod.TWELVE_MONTH, _change(values[month], values[earlier], decimals), inputs, month_label(month)
    )


def moving_average(
    values: Mapping[date, Decimal], month: date, *, series: str = "", decimals: int = 1
) -> Rate:
    """Change of the mean of the 12 months ending `month` over the 12 months before them."""
    recent = month_range(add_months(month, -11), month)
    before = month_range(add_months(month, -23), add_months(month, -12))
    _need(series, values, before + recent)
    # Each mean is rounded to one decimal, as StatCan publishes an average index (the 12 months to
    # December give exactly the published annual average).
    old, new = (
        (sum(values[m] for m in months) / 12).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
        for months in (before, recent)
    )
    inputs = (
        RateInput(InputKind.AVERAGE, month_label(before[0]), old, month_label(before[-1])),
        RateInput(InputKind.AVERAGE, month_label(recent[0]), new, month_label(recent[-1])),
    )
    return Rate(RateMethod.MOVING_AVERAGE, _change(new, old, decimals), inputs, month_label(month))


def floor_at_zero(rate: Rate) -> Rate:
    if rate.percent >= 0:
        return rate
    return Rate(rate.method, Decimal(0).quantize(rate.percent), rate.inputs, rate.period, floored=True)
