"""The installment state machine: statuses as an enum (models), allowed moves as one table."""

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


class InstallmentTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : il est à l'état « %(status)s ».")


def target(status: St | str, event: InstallmentEvent) -> St:
    return next_state(TRANSITIONS, St(status), event, InstallmentTransitionRefused)


def allowed_events(status: St | str) -> list[InstallmentEvent]:
    return [event for (source, event) in TRANSITIONS if source is St(status)]
