"""The envelope rule: a program may not commit more than its envelope for a fiscal year, unless
an officer with delegated budget authority overrides it with a reason (audited).

Committed = the amounts of the program's agreements for that year (the live amounts, indexation
included). A year with no envelope set is not blocked: only the tranche of the current year is a
commitment of the current year (CONVENTIONS.md). Decisions (review) and amendments call
`check_commitment`; the decision page shows `positions`. What is paid is payments' to tell
(grants.payments.queries.program_totals).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func

from grants.agreements.models import Agreement, AgreementYear
from grants.core import permissions
from grants.core.audit import record
from grants.core.db import db
from grants.core.formatting import money
from grants.fiscal import FiscalYear
from grants.programs.models import ProgramEnvelope

ZERO = Decimal("0.00")


def envelopes_by_year(program_id: int, years: list[FiscalYear]) -> dict[FiscalYear, Decimal]:
    """The program's envelope of each of `years` that has one."""
    return dict(
        db.session.execute(
            db.select(ProgramEnvelope.fiscal_year, ProgramEnvelope.amount).where(
                ProgramEnvelope.program_id == program_id,
                ProgramEnvelope.fiscal_year.in_([y.start_year for y in years]),
            )
        ).all()
    )


def committed_by_year(
    program_id: int, years: list[FiscalYear], *, exclude_agreement_id: int | None = None
) -> dict[FiscalYear, Decimal]:
    """What the program's agreements commit for each of `years` (0 for a year with none)."""
    query = (
        db.select(AgreementYear.fiscal_year, func.sum(AgreementYear.amount))
        .join(Agreement, Agreement.id == AgreementYear.agreement_id)
        .where(
            Agreement.program_id == program_id, AgreementYear.fiscal_year.in_([y.start_year for y in years])
        )
        .group_by(AgreementYear.fiscal_year)
    )
    if exclude_agreement_id is not None:
        query = query.where(Agreement.id != exclude_agreement_id)
    found = dict(db.session.execute(query).all())
    return {year: Decimal(found.get(year) or ZERO) for year in years}


@dataclass(frozen=True)
class EnvelopePosition:
    program_id: int
    fiscal_year: FiscalYear
    envelope: Decimal | None
    committed: Decimal

    @property
    def available(self) -> Decimal | None:
        return None if self.envelope is None else self.envelope - self.committed


def positions(
    program_id: int, years: list[FiscalYear], *, exclude_agreement_id: int | None = None
) -> dict[FiscalYear, EnvelopePosition]:
    """Envelope, committed and available for several years of one program, in two grouped queries."""
    envelopes = envelopes_by_year(program_id, years)
    committed = committed_by_year(program_id, years, exclude_agreement_id=exclude_agreement_id)
    return {year: EnvelopePosition(program_id, year, envelopes.get(year), committed[year]) for year in years}


class EnvelopeExceeded(Exception):
    """Some years would go over the envelope; `overruns` lists (year, available, asked)."""

    def __init__(self, overruns: list[tuple[FiscalYear, Decimal, Decimal]]) -> None:
        super().__init__("envelope exceeded")
        self.overruns = overruns

    @property
    def message(self) -> str:
        parts = [
            _(
                "%(year)s : %(asked)s demandés, %(available)s disponibles",
                year=str(year),
                asked=money(asked),
                available=money(available),
            )
            for year, available, asked in self.overruns
        ]
        return _(
            "Cet engagement dépasse l'enveloppe du programme (%(details)s). Une personne ayant "
            "l'autorisation budgétaire du programme peut passer outre en donnant un motif.",
            details="; ".join(parts),
        )


def check_commitment(
    program_id: int,
    amounts: dict[FiscalYear, Decimal],
    *,
    override_reason: str = "",
    actor: Any,
    exclude_agreement_id: int | None = None,
    object_for_audit: Any = None,
) -> list[tuple[FiscalYear, Decimal, Decimal]]:
    """Refuse (EnvelopeExceeded) a commitment over the envelope, unless overridden with authority."""
    found = positions(program_id, sorted(amounts), exclude_agreement_id=exclude_agreement_id)
    overruns = [
        (year, position.available, amounts[year])
        for year, position in found.items()
        if position.available is not None and amounts[year] > position.available
    ]
    if not overruns:
        return []
    reason = (override_reason or "").strip()
    if not reason or not permissions.can_authorize_for_program(actor, program_id):
        raise EnvelopeExceeded(overruns)
    record(
        "envelope.overridden",
        object_for_audit,
        actor=actor,
        object_type=None if object_for_audit is not None else "Program",
        object_id=None if object_for_audit is not None else program_id,
        program_id=program_id,
        changes={
            "reason": reason,
            "overruns": [{"fiscal_year": str(y), "available": a, "asked": n} for y, a, n in overruns],
        },
    )
    return overruns
