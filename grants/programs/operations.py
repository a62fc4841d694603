"""Changes to programs: setting the envelope of a fiscal year, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from grants.core.audit import record_change, record_created
from grants.core.db import to_money
from grants.fiscal import FiscalYear
from grants.programs.models import Program, ProgramEnvelope


def set_envelope(program: Program, year: FiscalYear, amount: Decimal, *, actor: Any) -> ProgramEnvelope:
    amount = to_money(amount)
    envelope = program.envelope_for(year)
    if envelope is None:
        envelope = ProgramEnvelope(program=program, fiscal_year=year, amount=amount)
        changes = {"program": program.code, "fiscal_year": str(year), "amount": amount}
        record_created("envelope.created", envelope, actor=actor, changes=changes)
    else:
        context = {"fiscal_year": str(year)}
        record_change("envelope.updated", envelope, "amount", amount, actor=actor, context=context)
    return envelope
