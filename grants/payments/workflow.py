"""The installment state machine: its statuses (an enum), its allowed moves (one table), and the
condition two moves carry (money goes out only under an agreement in force, and an installment
released by a report only once that report is accepted: grants.payments.release).

`INSTALLMENTS` is the only writer of `Installment.status` (the column is guarded, in models.py: a
direct assignment raises `StatusWriteRefused`); bulk paths that cancel go through
`INSTALLMENTS.move` too.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum
from grants.core.workflow import Condition, TransitionRefused, Workflow, moves
from grants.payments.release import waiting_for


class InstallmentStatus(LabelledEnum):
    SCHEDULED = "scheduled", _l("Prévu")
    AUTHORIZED = "authorized", _l("Autorisé")
    HELD = "held", _l("Retenu")
    PAID = "paid", _l("Versé")
    CANCELLED = "cancelled", _l("Annulé")


St = InstallmentStatus


class InstallmentEvent(LabelledEnum):
    AUTHORIZE = "authorize", _l("autoriser le versement")
    PAY = "pay", _l("inscrire le versement comme payé")
    HOLD = "hold", _l("retenir le versement")
    RELEASE = "release", _l("lever la retenue")
    CANCEL = "cancel", _l("annuler le versement")

    @property
    def needs_reason(self) -> bool:
        """A hold says why: the organization receives the reason."""
        return self is InstallmentEvent.HOLD

    @property
    def takes_payment_reference(self) -> bool:
        return self is InstallmentEvent.PAY


Ev = InstallmentEvent
TRANSITIONS = moves(
    {
        St.SCHEDULED: {Ev.AUTHORIZE: St.AUTHORIZED, Ev.HOLD: St.HELD, Ev.CANCEL: St.CANCELLED},
        St.AUTHORIZED: {Ev.PAY: St.PAID, Ev.HOLD: St.HELD},
        St.HELD: {Ev.RELEASE: St.SCHEDULED, Ev.CANCEL: St.CANCELLED},
    }
)
"""A paid or cancelled installment never moves again."""

ADJUSTABLE_STATUSES = frozenset({St.SCHEDULED, St.HELD})
"""An officer's edit or a rebalancing may still change these installments' amounts (or cancel them)."""

COMMITTED_STATUSES = frozenset({St.AUTHORIZED, St.PAID})
"""Paid, or authorized to be: an edit leaves these as they are, and an amendment may not take a
year's amount below their total."""


class InstallmentTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : il est à l'état « %(status)s ».")


class AgreementNotInForce(InstallmentTransitionRefused):
    """The move is in the table, but its condition fails: the agreement is not in force."""

    template = _l(
        "Impossible de %(action)s : la convention n'est pas en vigueur. Elle doit être signée par "
        "l'organisme et contresignée par le ministère avant tout versement."
    )


def _under_agreement_in_force(event: InstallmentEvent) -> Condition:
    """The condition of a move that sends money: the agreement is signed by the organization and
    countersigned by the ministry. Holding, releasing and cancelling stay possible before."""

    def condition(installment: Any) -> Any:
        if not installment.agreement.in_force:
            raise AgreementNotInForce(St(installment.status), event)
        return None

    return condition


class ReportNotAccepted(InstallmentTransitionRefused):
    """The move is in the table, but the report that releases the installment is not accepted
    (grants.payments.release); `waiting` names it and its state."""

    def __init__(self, status: Any, event: Any, waiting: Any) -> None:
        self.waiting = waiting
        if event is Ev.PAY:
            reason = _l(
                "Impossible d'inscrire le versement comme payé : le %(report)s n'est pas encore "
                "accepté (état : %(state)s).",
                report=waiting.report,
                state=waiting.state,
            )
        else:
            reason = _l(
                "Impossible d'autoriser le versement : le %(report)s n'est pas encore accepté "
                "(état : %(state)s).",
                report=waiting.report,
                state=waiting.state,
            )
        super().__init__(status, event, reason)


def _released(event: InstallmentEvent) -> Condition:
    """The condition of a move that sends money: the agreement is in force, and an installment
    released by a report waits until that report is accepted."""
    in_force = _under_agreement_in_force(event)

    def condition(installment: Any) -> Any:
        in_force(installment)
        waiting = waiting_for(installment)
        if waiting is not None:
            raise ReportNotAccepted(St(installment.status), event, waiting)
        return None

    return condition


INSTALLMENTS: Workflow[St, InstallmentEvent] = Workflow(
    TRANSITIONS,
    refused=InstallmentTransitionRefused,
    audit_prefix="installment",
    conditions={event: _released(event) for event in (Ev.AUTHORIZE, Ev.PAY)},
)
