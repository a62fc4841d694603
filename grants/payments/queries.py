"""Reads of installments and of money by fiscal year: an agreement's installments and schedule, a
grant's committed / paid / remaining, a program's envelope position for every year, and the payment
list (filters, sorting) as one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from grants.agreements.models import Agreement, AgreementYear
from grants.core.db import db
from grants.core.listing import QueryFilters, SortSpec
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.payments.models import Installment, InstallmentStatus
from grants.programs.models import Program, ProgramEnvelope
from grants.programs.queries import with_organization_and_program

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class YearTotals:
    fiscal_year: FiscalYear
    committed: Decimal
    paid: Decimal
    held: Decimal
    envelope: Decimal | None = None

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.paid

    @property
    def available(self) -> Decimal | None:
        return None if self.envelope is None else self.envelope - self.committed


def installments_of(agreement_id: int, year: FiscalYear | None = None) -> list[Installment]:
    """An agreement's installments (of one fiscal year, or all), cancelled ones included, in order."""
    statement = db.select(Installment).where(Installment.agreement_id == agreement_id)
    if year is not None:
        statement = statement.where(Installment.fiscal_year == year)
    return list(db.session.scalars(statement.order_by(Installment.fiscal_year, Installment.sequence)))


def schedule_of(agreement_id: int, year: FiscalYear | None = None) -> list[Installment]:
    """The agreement's payment schedule as people see it: its installments, cancelled ones left out
    (the agreement page, the terms of a version, an indexation notice)."""
    return [i for i in installments_of(agreement_id, year) if not i.is_cancelled]


def _paid_and_held(filter_column: Any, value: int) -> dict[int, tuple[Decimal, Decimal]]:
    rows = db.session.execute(
        select(
            Installment.fiscal_year,
            func.sum(case((Installment.status == InstallmentStatus.PAID, Installment.amount), else_=0)),
            func.sum(case((Installment.status == InstallmentStatus.HELD, Installment.amount), else_=0)),
        )
        .where(filter_column == value)
        .group_by(Installment.fiscal_year)
    ).all()
    return {year.start_year: (Decimal(paid or 0), Decimal(held or 0)) for year, paid, held in rows}


def agreement_totals(agreement_id: int) -> list[YearTotals]:
    """Committed, paid, held and remaining per fiscal year of one grant."""
    committed = db.session.execute(
        select(AgreementYear.fiscal_year, AgreementYear.amount)
        .where(AgreementYear.agreement_id == agreement_id)
        .order_by(AgreementYear.fiscal_year)
    ).all()
    money = _paid_and_held(Installment.agreement_id, agreement_id)
    return [YearTotals(year, amount, *money.get(year.start_year, (ZERO, ZERO))) for year, amount in committed]


def program_totals(program_id: int) -> list[YearTotals]:
    """The envelope, committed, paid, held, remaining and available per fiscal year of a program."""
    envelopes = dict(
        db.session.execute(
            select(ProgramEnvelope.fiscal_year, ProgramEnvelope.amount).where(
                ProgramEnvelope.program_id == program_id
            )
        ).all()
    )
    committed = dict(
        db.session.execute(
            select(AgreementYear.fiscal_year, func.sum(AgreementYear.amount))
            .join(Agreement, Agreement.id == AgreementYear.agreement_id)
            .where(Agreement.program_id == program_id)
            .group_by(AgreementYear.fiscal_year)
        ).all()
    )
    money = _paid_and_held(Installment.program_id, program_id)
    years = sorted(set(envelopes) | set(committed) | {FiscalYear(y) for y in money})
    return [
        YearTotals(
            year,
            Decimal(committed.get(year) or ZERO),
            *money.get(year.start_year, (ZERO, ZERO)),
            envelope=envelopes.get(year),
        )
        for year in years
    ]


PAYMENT_SORT = SortSpec(
    columns={
        "planned": Installment.planned_date,
        "amount": Installment.amount,
        "organization": func.lower(Organization.legal_name),
        "program": Program.code,
        "status": Installment.status,
        "year": Installment.fiscal_year,
    },
    default="planned",
)


@dataclass
class PaymentFilters(QueryFilters):
    program: str = ""
    fiscal_year: str = ""
    status: str = ""
    organization: str = ""
    planned_from: str = ""
    planned_to: str = ""


def payments_statement(
    program_ids: set[int] | None, filters: PaymentFilters, organization_ids: set[int] | None = None
) -> Select:
    columns = select(
        Installment.id,
        Installment.agreement_id,
        Installment.fiscal_year,
        Installment.sequence,
        Installment.amount,
        Installment.trigger,
        Installment.planned_date,
        Installment.status,
        Installment.hold_reason,
        Installment.paid_on,
        Agreement.number.label("agreement_number"),
    )
    statement = (
        with_organization_and_program(columns, Installment)
        .join(Agreement, Agreement.id == Installment.agreement_id)
        .where(Installment.status != InstallmentStatus.CANCELLED)
    )
    if program_ids is not None:
        statement = statement.where(Installment.program_id.in_(program_ids))
    if organization_ids is not None:
        statement = statement.where(Installment.organization_id.in_(organization_ids))
    if filters.program:
        statement = statement.where(Program.code == filters.program)
    if filters.status in {s.value for s in InstallmentStatus}:
        statement = statement.where(Installment.status == filters.status)
    if filters.organization:
        statement = statement.where(
            func.lower(Organization.legal_name).like(f"%{filters.organization.lower()}%")
        )
    try:
        if filters.fiscal_year:
            statement = statement.where(
                Installment.fiscal_year == FiscalYear.parse(filters.fiscal_year).start_year
            )
        if filters.planned_from:
            statement = statement.where(Installment.planned_date >= date.fromisoformat(filters.planned_from))
        if filters.planned_to:
            statement = statement.where(Installment.planned_date <= date.fromisoformat(filters.planned_to))
    except ValueError:
        pass
    return statement
