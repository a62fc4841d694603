"""The preview of an indexation: every grant of a program with an amount in the fiscal year, its
base, the new amount or why it is left out. Read in two queries, whatever the number of grants."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_
from sqlalchemy.orm import aliased

from grants.agreements.models import Agreement, AgreementYear
from grants.core.db import db
from grants.cpi.rates import Rate
from grants.fiscal import FiscalYear
from grants.indexation.models import IndexationLine, IndexationRule, IndexationRun
from grants.indexation.rules import index_amount
from grants.indexation.workflow import RunStatus
from grants.organizations.models import Organization

EXCLUSIONS = {
    "not_in_force": _l("Convention pas encore en vigueur (contresignature attendue)"),
    "not_indexed": _l("Convention sans clause d'indexation"),
    "first_year": _l("Première année de la convention : le montant accordé s'applique"),
    "no_base": _l("Aucun montant l'exercice précédent"),
}


def exclusion_label(code: str) -> str:
    return str(EXCLUSIONS[code]) if code in EXCLUSIONS else code


@dataclass(frozen=True, slots=True)
class PreviewLine:
    agreement_id: int
    agreement_number: str
    organization_id: int
    organization: str
    base_amount: Decimal  # the fiscal year's amount now
    indexed_on: Decimal | None  # the previous year's (indexed) amount it compounds on
    new_amount: Decimal | None
    excluded_reason: str = ""

    @property
    def is_kept(self) -> bool:
        """Indexed, not left out (as `IndexationLine.is_kept`)."""
        return not self.excluded_reason

    @property
    def difference(self) -> Decimal | None:
        return None if self.new_amount is None else self.new_amount - self.base_amount

    @property
    def excluded_label(self) -> str:
        return exclusion_label(self.excluded_reason) if self.excluded_reason else ""


def _pre_indexation_amounts(program_id: int, year: FiscalYear) -> dict[int, Decimal]:
    """Each agreement's amount for `year` before that year's applied indexation, if any."""
    rows = db.session.execute(
        db.select(IndexationLine.agreement_id, IndexationLine.base_amount)
        .join(IndexationRun)
        .where(
            IndexationRun.program_id == program_id,
            IndexationRun.fiscal_year == year,
            IndexationRun.status == RunStatus.APPLIED,
            IndexationLine.is_kept,
        )
    )
    return {agreement_id: amount for agreement_id, amount in rows}


def compute(rule: IndexationRule, year: FiscalYear, rate: Rate) -> list[PreviewLine]:
    """The lines of `rule.program`'s indexation for `year` at `rate`.

    Compounding: the new amount is the previous year's indexed amount, times the ratio of this
    year's amount to the previous year's amount before its indexation (1 when the years are equal;
    it keeps a partial first year, a ramp or an amendment), times the rate's factor, rounded.
    """
    current, previous = aliased(AgreementYear), aliased(AgreementYear)
    rows = db.session.execute(
        db.select(
            Agreement.id,
            Agreement.number,
            Agreement.indexed,
            Agreement.signed_at,
            Organization.id,
            Organization.legal_name,
            current.amount,
            previous.amount,
        )
        .join(Organization, Organization.id == Agreement.organization_id)
        .join(current, and_(current.agreement_id == Agreement.id, current.fiscal_year == year))
        .outerjoin(
            previous, and_(previous.agreement_id == Agreement.id, previous.fiscal_year == year.previous())
        )
        .where(Agreement.program_id == rule.program_id)
        .order_by(Organization.legal_name, Agreement.number)
    )
    before_indexation = _pre_indexation_amounts(rule.program_id, year.previous())
    lines = []
    for agreement_id, number, indexed, signed_at, org_id, org_name, amount, previous_amount in rows:
        reason = ""
        if signed_at is None:
            reason = "not_in_force"
        elif not indexed:
            reason = "not_indexed"
        elif previous_amount is None:
            reason = "first_year"
        elif previous_amount <= 0:
            reason = "no_base"
        new_amount = None
        if not reason:
            unindexed_previous = before_indexation.get(agreement_id, previous_amount)
            scaled = previous_amount * amount / unindexed_previous if unindexed_previous else previous_amount
            new_amount = index_amount(scaled, rate, rule.rounding)
        lines.append(
            PreviewLine(agreement_id, number, org_id, org_name, amount, previous_amount, new_amount, reason)
        )
    return lines


@dataclass(frozen=True)
class Totals:
    grants: int
    indexed: int
    excluded: int
    base: Decimal
    new: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new - self.base


def totals(lines: list[PreviewLine] | list[IndexationLine]) -> Totals:
    kept = [line for line in lines if line.is_kept]
    base = sum((line.base_amount for line in kept), Decimal("0.00"))
    new = sum((line.new_amount for line in kept), Decimal("0.00"))
    return Totals(len(lines), len(kept), len(lines) - len(kept), base, new)
