"""A program's envelope position per fiscal year: envelope, committed (grants.agreements.envelopes,
where the envelope rule lives) and paid (the installments paid).

`EnvelopeExceeded` and `check_commitment` are the agreements' envelope rule, importable from here
too for the callers written before it moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func

from grants.agreements.envelopes import EnvelopeExceeded as EnvelopeExceeded
from grants.agreements.envelopes import check_commitment as check_commitment
from grants.agreements.envelopes import committed_by_year, envelopes_by_year
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.payments.models import Installment, InstallmentStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EnvelopePosition:
    program_id: int
    fiscal_year: FiscalYear
    envelope: Decimal | None
    committed: Decimal
    paid: Decimal

    @property
    def available(self) -> Decimal | None:
        return None if self.envelope is None else self.envelope - self.committed

    @property
    def remaining_to_pay(self) -> Decimal:
        return self.committed - self.paid


def positions(
    program_id: int, years: list[FiscalYear], *, exclude_agreement_id: int | None = None
) -> dict[FiscalYear, EnvelopePosition]:
    """Envelope, committed and paid for several years of one program, in three grouped queries."""
    envelopes = envelopes_by_year(program_id, years)
    committed = committed_by_year(program_id, years, exclude_agreement_id=exclude_agreement_id)
    paid = dict(
        db.session.execute(
            db.select(Installment.fiscal_year, func.sum(Installment.amount))
            .where(
                Installment.program_id == program_id,
                Installment.fiscal_year.in_([y.start_year for y in years]),
                Installment.status == InstallmentStatus.PAID,
            )
            .group_by(Installment.fiscal_year)
        ).all()
    )
    return {
        year: EnvelopePosition(
            program_id=program_id,
            fiscal_year=year,
            envelope=envelopes.get(year),
            committed=committed[year],
            paid=Decimal(paid.get(year) or ZERO),
        )
        for year in years
    }
