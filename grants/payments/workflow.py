"""The installment state machine: statuses as an enum (models), allowed moves as one table, and
the conditions some moves carry (money goes out only under an agreement in force)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from grants.core.workflow import TransitionRefused, next_state
from grants.payments.models import InstallmentStatus as St


class InstallmentEvent(StrEnum):
    AUTHORIZE = "authorize"
    PAY = "pay"
    HOLD = "hold"
    RELEASE = "release"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    InstallmentEvent.AUTHORIZE: _l("autoriser le versement"),
    InstallmentEvent.PAY: _l("inscrire le versement comme payé"),
    InstallmentEvent.HOLD: _l("retenir le versement"),
    InstallmentEvent.RELEASE: _l("lever la retenue"),
    InstallmentEvent.CANCEL: _l("annuler le versement"),
}

Ev = InstallmentEvent
TRANSITIONS: dict[tuple[St, InstallmentEvent], St] = {
    (St.SCHEDULED, Ev.AUTHORIZE): St.AUTHORIZED,
    (St.SCHEDULED, Ev.HOLD): St.HELD,
    (St.SCHEDULED, Ev.CANCEL): St.CANCELLED,
    (St.AUTHORIZED, Ev.PAY): St.PAID,
    (St.AUTHORIZED, Ev.HOLD): St.HELD,
    (St.HELD, Ev.RELEASE): St.SCHEDULED,
    (St.HELD, Ev.CANCEL): St.CANCELLED,
}
"""A paid or cancelled installment never moves again."""

OPEN_STATUSES = frozenset({St.SCHEDULED, St.AUTHORIZED, St.HELD})

NEED_AGREEMENT_IN_FORCE = frozenset({Ev.AUTHORIZE, Ev.PAY})
"""Moves that send money: only under an agreement signed by the organization and countersigned by
the ministry. Holding, releasing and cancelling stay possible before."""


class InstallmentTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : il est à l'état « %(status)s ».")


class AgreementNotInForce(InstallmentTransitionRefused):
    """The move is in the table, but its condition fails: the agreement is not in force."""

    template = _l(
        "Impossible de %(action)s : la convention n'est pas en vigueur. Elle doit être signée par "
        "l'organisme et contresignée par le ministère avant tout versement."
    )


def target(status: St | str, event: InstallmentEvent, *, agreement_in_force: bool) -> St:
    """The state `event` leads to, or a refusal: not in the table, or its condition fails."""
    after = next_state(TRANSITIONS, St(status), event, InstallmentTransitionRefused)
    if event in NEED_AGREEMENT_IN_FORCE and not agreement_in_force:
        raise AgreementNotInForce(St(status), event)
    return after


def allowed_events(status: St | str, *, agreement_in_force: bool) -> list[InstallmentEvent]:
    return [
        event
        for (source, event) in TRANSITIONS
        if source is St(status) and (agreement_in_force or event not in NEED_AGREEMENT_IN_FORCE)
    ]
