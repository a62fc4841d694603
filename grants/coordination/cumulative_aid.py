"""Cumulative aid (issue 11, item 4): per organization and fiscal year, all the public aid known.

Ours is the amount of every agreement of the organization for that fiscal year (as it stands,
after indexation); the others are the other ministries' funding lines the cell imported whose
matching gave them to the organization (`ExternalFunding.organization_id`) for that fiscal year.
The Conseil du trésor thresholds of `statement_type` apply to the total: this module registers
`known_total` with `grants.agreements.obligations.register_cumulative_aid`, so an agreement's
reporting obligations (its terms, its annual and final reports) use the cumulative aid while
agreements never import coordination.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Select, case, cast, func, literal, select, union_all

from grants.agreements.models import Agreement, AgreementYear
from grants.agreements.obligations import (
    AUDIT_THRESHOLD,
    REVIEW_THRESHOLD,
    StatementType,
    register_cumulative_aid,
    statement_type,
)
from grants.coordination.models import ExternalFunding
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CumulativeAid:
    organization_id: int
    fiscal_year: FiscalYear
    ours: Decimal
    others: Decimal

    @property
    def total(self) -> Decimal:
        return self.ours + self.others

    @property
    def statement(self) -> StatementType:
        return statement_type(self.total)


def aid_of(organization_id: int, fiscal_year: FiscalYear) -> CumulativeAid:
    """One organization's aid for one fiscal year (two sums)."""
    ours = db.session.scalar(
        select(func.coalesce(func.sum(AgreementYear.amount), 0))
        .join(Agreement, Agreement.id == AgreementYear.agreement_id)
        .where(Agreement.organization_id == organization_id, AgreementYear.fiscal_year == fiscal_year)
    )
    others = db.session.scalar(
        select(func.coalesce(func.sum(ExternalFunding.amount), 0)).where(
            ExternalFunding.organization_id == organization_id, ExternalFunding.fiscal_year == fiscal_year
        )
    )
    return CumulativeAid(organization_id, fiscal_year, Decimal(ours), Decimal(others))


def known_total(organization_id: int, fiscal_year: FiscalYear) -> Decimal | None:
    """The finder agreements call: the total known, or None when nothing is known."""
    aid = aid_of(organization_id, fiscal_year)
    return aid.total if aid.total > 0 else None


register_cumulative_aid(known_total)


# -- the list (one row per organization and fiscal year) -----------------------------------------------
def _lines() -> Any:
    """Every known amount as (organization, fiscal year, ours, others)."""
    ours = select(
        Agreement.organization_id.label("organization_id"),
        AgreementYear.fiscal_year.label("fiscal_year"),
        AgreementYear.amount.label("ours"),
        cast(0, Numeric(14, 2)).label("others"),
    ).join(Agreement, Agreement.id == AgreementYear.agreement_id)
    others = select(
        ExternalFunding.organization_id,
        ExternalFunding.fiscal_year,
        cast(0, Numeric(14, 2)),
        ExternalFunding.amount,
    ).where(ExternalFunding.organization_id.is_not(None))
    return union_all(ours, others).subquery("aid_lines")


def statement_case(total: Any) -> Any:
    """The statement type of a total, in SQL (the thresholds of `obligations`)."""
    return case(
        (total >= AUDIT_THRESHOLD, literal(StatementType.AUDIT.value)),
        (total >= REVIEW_THRESHOLD, literal(StatementType.REVIEW.value)),
        else_=literal(StatementType.COMPILATION.value),
    )


def aid_statement() -> tuple[Select, dict[str, Any]]:
    """The list's query and its sortable columns."""
    lines = _lines()
    ours = func.sum(lines.c.ours)
    others = func.sum(lines.c.others)
    total = ours + others
    grouped = (
        select(
            lines.c.organization_id,
            lines.c.fiscal_year,
            ours.label("ours"),
            others.label("others"),
            total.label("total"),
        )
        .group_by(lines.c.organization_id, lines.c.fiscal_year)
        .subquery("aid")
    )
    statement = select(
        grouped.c.organization_id,
        Organization.legal_name.label("organization"),
        Organization.neq.label("neq"),
        grouped.c.fiscal_year,
        grouped.c.ours,
        grouped.c.others,
        grouped.c.total,
        statement_case(grouped.c.total).label("statement"),
        statement_case(grouped.c.ours).label("statement_ours"),
    ).join(Organization, Organization.id == grouped.c.organization_id)
    sortable = {
        "organization": func.lower(Organization.legal_name),
        "fiscal_year": grouped.c.fiscal_year,
        "ours": grouped.c.ours,
        "others": grouped.c.others,
        "total": grouped.c.total,
    }
    return statement, sortable


def filtered(
    statement: Select,
    *,
    name: str = "",
    fiscal_year: FiscalYear | None = None,
    statement_kind: str = "",
    others_only: bool = False,
) -> Select:
    """The list narrowed to the filters a person filled in."""
    columns = statement.selected_columns
    if name:
        statement = statement.where(Organization.legal_name.ilike(f"%{_like(name)}%", escape="\\"))
    if fiscal_year is not None:
        statement = statement.where(columns.fiscal_year == fiscal_year)
    if statement_kind in {s.value for s in StatementType}:
        statement = statement.where(statement_case(columns.total) == statement_kind)
    if others_only:
        statement = statement.where(columns.others > 0)
    return statement


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def years_known() -> list[FiscalYear]:
    """The fiscal years the list has rows for, latest first (the filter's choices)."""
    lines = _lines()
    return sorted(set(db.session.scalars(select(lines.c.fiscal_year).distinct())), reverse=True)
