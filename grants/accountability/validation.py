"""What is wrong with a report, in words, on the field concerned.

Two moments: while typing (`read_*`: a value that is not a number, a negative count, a breakdown
that does not add up, totals that do not match their lines — the save is refused with a message on
the field and everything typed is shown back), and at submission (`submission_problems`: whatever is
still missing, each problem naming its section and field so the check list links to it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.accountability import adsplus
from grants.accountability.models import (
    Indicator,
    IndicatorKind,
    Report,
    ReportAttachmentKind,
    ReportSection,
    ReportSettings,
)
from grants.core.fields import parse_amount
from grants.core.formatting import money, number, percent
from grants.fiscal import FiscalYear
from grants.requests.models import BudgetCategory

MAX_COUNT = 100_000_000
MAX_VALUE = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class Problem:
    """One thing that stops a submission: its section, the form field it is about, the message."""

    section: ReportSection
    field: str
    message: str


# -- reading typed values ---------------------------------------------------------------------------
def read_count(text: str | None) -> int | str | None:
    """A count as typed: None when blank, an int when it is a whole number (a negative one too, so
    it is refused with its value), else the text itself (refused as not a whole number)."""
    cleaned = _SPACES.sub("", text or "")
    if not cleaned:
        return None
    if re.fullmatch(r"[-+]?\d{1,12}", cleaned):
        return int(cleaned)
    return (text or "").strip()


def count_problem(value: int | str | None, label: Any) -> str | None:
    """Why a typed count cannot be kept (None when it can, or when it is blank)."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(
            _l(
                "Le nombre pour « %(category)s » doit être un nombre entier (reçu : %(value)s).",
                category=str(label),
                value=value,
            )
        )
    if value < 0:
        return str(
            _l(
                "Le nombre pour « %(category)s » ne peut pas être négatif (reçu : %(value)s).",
                category=str(label),
                value=number(value),
            )
        )
    if value > MAX_COUNT:
        return str(_l("Le nombre pour « %(category)s » est trop grand.", category=str(label)))
    return None


def read_indicator(indicator: Indicator, text: str | None) -> tuple[Decimal | None, str | None]:
    """An indicator's value as typed: (value, None), (None, None) when blank, or (None, message)."""
    raw = (text or "").strip()
    if not raw:
        return None, None
    kind = IndicatorKind(indicator.kind)
    label = indicator.label
    if kind is IndicatorKind.COUNT:
        value = read_count(raw)
        if isinstance(value, str):
            return None, str(
                _l(
                    "« %(indicator)s » se compte en nombre entier, par exemple 12 (reçu : %(value)s).",
                    indicator=label,
                    value=raw,
                )
            )
        decimal_value = Decimal(value or 0)
    else:
        try:
            decimal_value = parse_amount(raw.rstrip("%").strip())
        except InvalidOperation:
            return None, str(
                _l(
                    "« %(indicator)s » doit être un nombre, par exemple 12,5 (reçu : %(value)s).",
                    indicator=label,
                    value=raw,
                )
            )
    if decimal_value < 0:
        return None, str(
            _l("« %(indicator)s » ne peut pas être négatif (reçu : %(value)s).", indicator=label, value=raw)
        )
    if kind is IndicatorKind.PERCENT and decimal_value > 100:
        return None, str(
            _l(
                "« %(indicator)s » est un pourcentage, de 0 à 100 (reçu : %(value)s).",
                indicator=label,
                value=raw,
            )
        )
    if decimal_value > MAX_VALUE:
        return None, str(_l("« %(indicator)s » est trop grand.", indicator=label))
    return decimal_value, None


def read_money(text: str | None) -> tuple[Decimal | None, str | None]:
    """An amount as typed the Quebec way: (amount, None), (None, None) when blank, or (None, message)."""
    if not (text or "").strip():
        return None, None
    try:
        value = parse_amount(text or "")
    except InvalidOperation:
        return None, str(_l("Entrez un montant en dollars, par exemple 175 000,00."))
    if value < 0:
        return None, str(_l("Le montant ne peut pas être négatif."))
    if value > MAX_VALUE:
        return None, str(_l("Ce montant est trop grand."))
    return value, None


def total_mismatch(lines_sum: Decimal, declared: Decimal) -> str | None:
    """Typed totals must be the sum of their lines."""
    if lines_sum == declared:
        return None
    return str(
        _l(
            "Les lignes totalisent %(sum)s alors que le total inscrit est %(total)s : corrigez les lignes "
            "ou le total.",
            sum=money(lines_sum),
            total=money(declared),
        )
    )


def breakdown_problems(
    total: int | str | None,
    counts: Mapping[str, int | str],
    explanation: str,
    variable: adsplus.Variable,
    *,
    complete: bool,
) -> list[tuple[str, str]]:
    """A breakdown's problems as (field, message). Each count is checked; the sum is checked when
    the total is known and either the breakdown has started or (`complete`) it is required."""
    problems: list[tuple[str, str]] = []
    for code, value in counts.items():
        message = count_problem(value, variable.category(code))
        if message:
            problems.append((f"reach-{variable.code}-{code}", message))
    if problems or not isinstance(total, int) or total < 0:
        return problems
    valid = {code: value for code, value in counts.items() if isinstance(value, int)}
    if not valid and not complete:
        return problems
    if not valid and total > 0 and not explanation.strip():
        return [
            (
                f"reach-{variable.code}",
                str(
                    _l(
                        "Ventilez les %(total)s personnes rejointes par « %(variable)s » (« Non recueilli » "
                        "compte aussi).",
                        total=number(total),
                        variable=str(variable),
                    )
                ),
            )
        ]
    for problem in adsplus.check_breakdown(total, valid, explanation, variables=variable):
        problems.append((f"reach-{variable.code}", problem.message))
    return problems


def total_problem(total: int | str | None) -> str | None:
    if total is None:
        return None
    if isinstance(total, str) or total < 0:
        return str(
            _l(
                "Le total doit être un nombre entier, zéro ou plus (reçu : %(value)s).",
                value=total if isinstance(total, str) else number(total),
            )
        )
    if total > MAX_COUNT:
        return str(_l("Ce total est trop grand."))
    return None


# -- what the report covers ---------------------------------------------------------------------------
def variables_for(settings: ReportSettings) -> list[adsplus.Variable]:
    """The ADS+ variables a program's reports collect: the mandatory ones, then those it selected."""
    chosen = set(settings.adsplus_variables or [])
    return [adsplus.VARIABLES[c] for c in adsplus.MANDATORY] + [
        adsplus.VARIABLES[c] for c in adsplus.OPTIONAL if c in chosen
    ]


def approved_by_category(report: Report) -> dict[BudgetCategory, Decimal]:
    """The request's budget lines for the fiscal years the report's period touches."""
    years = set(FiscalYear.spanning(report.period_start, report.period_end))
    approved = dict.fromkeys(BudgetCategory, Decimal("0.00"))
    request = report.agreement.request
    for line in request.budget_lines if request is not None else []:
        if line.fiscal_year in years:
            approved[BudgetCategory(line.category)] += line.amount
    return approved


@dataclass(frozen=True)
class Unspent:
    """The unspent balance of a report's financial statement, and whether it is above the threshold."""

    approved: Decimal
    spent: Decimal
    committed: Decimal
    threshold: Decimal
    applies: bool  # annual and final reports only: at mid-year half the budget is unspent by design

    @property
    def amount(self) -> Decimal:
        return self.approved - self.spent - self.committed

    @property
    def share(self) -> Decimal | None:
        return self.amount / self.approved * 100 if self.approved > 0 else None

    @property
    def flagged(self) -> bool:
        return self.applies and self.share is not None and self.share > self.threshold

    def message(self) -> str:
        return str(
            _l(
                "Le solde non dépensé (%(amount)s, soit %(share)s du budget approuvé) dépasse le seuil de "
                "%(threshold)s du programme : expliquez-le.",
                amount=money(self.amount),
                share=percent((self.share or Decimal(0)) / 100),
                threshold=percent(self.threshold / 100),
            )
        )


def unspent_of(report: Report, settings: ReportSettings) -> Unspent:
    lines = report.finance_lines
    return Unspent(
        approved=sum((line.approved for line in lines), Decimal("0.00")),
        spent=sum((line.spent or Decimal(0) for line in lines), Decimal("0.00")),
        committed=sum((line.committed or Decimal(0) for line in lines), Decimal("0.00")),
        threshold=Decimal(settings.unspent_threshold_percent),
        applies=report.has_financial_statements,
    )


# -- at submission ----------------------------------------------------------------------------------
def submission_problems(
    report: Report, settings: ReportSettings, indicators: list[Indicator]
) -> list[Problem]:
    """Everything that stops a submission, section by section (empty when the report is complete)."""
    problems: list[Problem] = []

    def add(section: ReportSection, name: str, message: Any) -> None:
        problems.append(Problem(section, name, str(message)))

    section = ReportSection.ACTIVITIES
    if not report.activities.strip():
        add(section, "activities", _l("Décrivez les activités réalisées pendant la période."))
    if not report.results.strip():
        add(section, "results", _l("Décrivez les résultats obtenus au regard des objectifs de la demande."))

    values = {v.indicator_id: v for v in report.indicator_values}
    for indicator in indicators:
        value = values.get(indicator.id)
        if value is None or value.achieved is None:
            add(
                ReportSection.INDICATORS,
                f"indicator-{indicator.id}",
                _l("Indiquez la valeur atteinte pour « %(indicator)s ».", indicator=indicator.label),
            )

    section = ReportSection.FINANCES
    lines = {line.category: line for line in report.finance_lines}
    if not lines:
        add(section, f"spent-{BudgetCategory.SALARIES.value}", _l("Remplissez l'état financier."))
    for category, line in lines.items():
        if line.approved > 0 and line.spent is None:
            add(
                section,
                f"spent-{category}",
                _l(
                    "Indiquez le montant dépensé pour « %(line)s » (0 s'il n'y a rien).",
                    line=BudgetCategory(category).label,
                ),
            )
    unspent = unspent_of(report, settings)
    if lines and unspent.flagged and not report.unspent_explanation.strip():
        add(section, "unspent_explanation", unspent.message())

    section = ReportSection.PEOPLE
    if report.people_total is None:
        add(section, "people_total", _l("Indiquez le nombre total de personnes rejointes."))
    else:
        explanations = report.reach_explanations or {}
        for variable in variables_for(settings):
            for name, message in breakdown_problems(
                report.people_total,
                report.reach_of(variable.code),
                explanations.get(variable.code, ""),
                variable,
                complete=True,
            ):
                add(section, name, message)

    if report.has_financial_statements and not any(
        a.kind == ReportAttachmentKind.FINANCIAL_STATEMENTS for a in report.attachments
    ):
        add(
            ReportSection.ATTACHMENTS,
            "attachment",
            _l(
                "Joignez les états financiers de l'exercice (%(type)s).",
                type=report.statement_label or _l("états financiers"),
            ),
        )
    return problems


def problems_by_section(problems: list[Problem]) -> dict[ReportSection, list[Problem]]:
    grouped: dict[ReportSection, list[Problem]] = {section: [] for section in ReportSection}
    for problem in problems:
        grouped[problem.section].append(problem)
    return grouped
