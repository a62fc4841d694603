"""Moving one installment: authorize, pay, hold, release or cancel (the table and condition of
grants.payments.workflow), each audited and, when the organization should know, emailed.

`hold_installments` / `release_holds` are the hooks the accountability module calls when a report
is late or refused (and once it is accepted).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from grants.agreements.models import Agreement
from grants.core import clock
from grants.core.concurrency import optimistic
from grants.core.db import utcnow
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.operations import notify
from grants.payments.models import HoldSource, Installment
from grants.payments.queries import installments_of
from grants.payments.workflow import INSTALLMENTS, InstallmentEvent

EMAILED_MOVES = {
    InstallmentEvent.PAY: events.INSTALLMENT_PAID,
    InstallmentEvent.HOLD: events.INSTALLMENT_HELD,
    InstallmentEvent.RELEASE: events.INSTALLMENT_RELEASED,
}
"""The moves the organization is told about by email, and the email of each."""


def apply_event(
    installment: Installment,
    event: InstallmentEvent,
    *,
    actor: Any,
    expected_version: int | None = None,
    reason: str = "",
    source: HoldSource = HoldSource.OFFICER,
    paid_on: date | None = None,
    payment_reference: str = "",
) -> Installment:
    """Authorize, pay, hold, release or cancel one installment (the table in payments.workflow)."""
    with optimistic(installment, expected_version):
        INSTALLMENTS.check(installment, event)
        details: dict[str, Any] = {}
        now = utcnow()
        if event is InstallmentEvent.AUTHORIZE:
            installment.authorized_at, installment.authorized_by_id = now, getattr(actor, "id", None)
        elif event is InstallmentEvent.PAY:
            installment.paid_on = paid_on or clock.today()
            installment.payment_reference = payment_reference.strip()[:80]
            details.update(paid_on=installment.paid_on, payment_reference=installment.payment_reference)
        elif event is InstallmentEvent.HOLD:
            installment.hold_reason, installment.hold_source = reason.strip(), source
            installment.held_at, installment.held_by_id = now, getattr(actor, "id", None)
            details.update(reason=installment.hold_reason, source=source)
        elif event is InstallmentEvent.RELEASE:
            details.update(released_reason=installment.hold_reason, source=installment.hold_source)
            installment.hold_reason, installment.hold_source = "", None
            installment.held_at = installment.held_by_id = None
        INSTALLMENTS.move(installment, event, actor=actor, details=details)
    if event in EMAILED_MOVES:
        notify(EMAILED_MOVES[event], installment=installment, agreement=installment.agreement)
    return installment


def hold_installments(
    agreement: Agreement, fiscal_year: FiscalYear, *, reason: str, source: HoldSource, actor: Any = None
) -> list[Installment]:
    """Hook for accountability: hold every installment of a fiscal year that may still be held (a
    report is late or refused). Already held ones keep their first reason."""
    held = []
    for installment in installments_of(agreement.id, fiscal_year):
        if INSTALLMENTS.can(installment, InstallmentEvent.HOLD):
            held.append(
                apply_event(installment, InstallmentEvent.HOLD, actor=actor, reason=reason, source=source)
            )
    return held


def release_holds(
    agreement: Agreement, fiscal_year: FiscalYear, *, source: HoldSource, actor: Any = None
) -> list[Installment]:
    """Hook for accountability: lift the holds a given source placed (the report is accepted)."""
    released = []
    for installment in installments_of(agreement.id, fiscal_year):
        if installment.hold_source == source and INSTALLMENTS.can(installment, InstallmentEvent.RELEASE):
            released.append(apply_event(installment, InstallmentEvent.RELEASE, actor=actor))
    return released
