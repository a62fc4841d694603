"""What payments does when agreements move (grants.agreements.signals): the arrow points from
payments to agreements, never back. Connected when `grants.payments` is imported (its
`__init__`), which the app factory does for the web app, the `grants` command and the Celery
worker alike (grants.payments.models is in its model list).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.agreements import signals
from grants.core.formatting import money
from grants.fiscal import FiscalYear
from grants.payments.edits import rebalance_year
from grants.payments.queries import installments_of, schedule_of
from grants.payments.schedule import create_schedule, date_signature_installments
from grants.payments.workflow import COMMITTED_STATUSES


@signals.agreement_created.connect
def schedule_new_agreement(agreement: Any, *, actor: Any, **_: Any) -> None:
    """Every fiscal year of a new agreement gets its installments from the program's plan."""
    create_schedule(agreement, actor=actor)


@signals.agreement_in_force.connect
def date_installments_due_at_signature(agreement: Any, *, signed_on: date, **_: Any) -> None:
    date_signature_installments(agreement, signed_on)


@signals.agreement_amended.connect
def rebalance_amended_years(
    agreement: Any, *, years: list[FiscalYear], actor: Any, reason: str, **_: Any
) -> None:
    """The unpaid installments of each amended year follow its new amount."""
    for year in years:
        rebalance_year(agreement, year, actor=actor, reason=reason)


@signals.agreement_terms.connect
def schedule_terms(agreement: Any, **_: Any) -> dict[str, Any]:
    """The schedule a version's document states (frozen with its terms)."""
    return {
        "schedule": [
            {
                "fiscal_year": str(i.fiscal_year),
                "amount": str(i.amount),
                "trigger": i.trigger,
                "planned_date": i.planned_date.isoformat() if i.planned_date else None,
            }
            for i in schedule_of(agreement.id)
        ]
    }


@signals.amendment_checked.connect
def not_below_what_is_committed(
    agreement: Any, *, amounts: dict[FiscalYear, Decimal], **_: Any
) -> dict[FiscalYear, str]:
    """A year's amount never drops below what is already paid or authorized for it."""
    committed: dict[FiscalYear, Decimal] = {}
    for installment in installments_of(agreement.id):
        if installment.status in COMMITTED_STATUSES:
            year = installment.fiscal_year
            committed[year] = committed.get(year, Decimal(0)) + installment.amount
    return {
        year: str(
            _l(
                "%(year)s : %(paid)s sont déjà versés ou autorisés ; le montant ne peut pas être plus bas.",
                year=str(year),
                paid=money(committed[year]),
            )
        )
        for year, amount in amounts.items()
        if year in committed and amount < committed[year]
    }
