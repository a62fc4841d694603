"""Changes to programs: setting the envelope of a fiscal year, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from grants.core.audit import record
from grants.core.db import db, to_money
from grants.fiscal import FiscalYear
from grants.programs.models import Program, ProgramEnvelope


def set_envelope(program: Program, year: FiscalYear, amount: Decimal, *, actor: Any) -> ProgramEnvelope:
    amount = to_money(amount)
    envelope = program.envelope_for(year)
    if envelope is None:
        envelope = ProgramEnvelope(program=program, fiscal_year=year, amount=amount)
        db.session.add(envelope)
        db.session.flush()
        record(
            "envelope.created",
            envelope,
            actor=actor,
            changes={"program": program.code, "fiscal_year": str(year), "amount": amount},
        )
    elif envelope.amount != amount:
        record(
            "envelope.updated",
            envelope,
            actor=actor,
            changes={"fiscal_year": str(year), "amount": [envelope.amount, amount]},
        )
        envelope.amount = amount
    return envelope
