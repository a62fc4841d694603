"""The agreement version state machine: SENT → ACCEPTED → COUNTERSIGNED → SUPERSEDED."""

from __future__ import annotations

from enum import StrEnum

from blinker import signal
from flask_babel import lazy_gettext as _l

from grants.agreements.models import AgreementStatus as St
from grants.core.workflow import TransitionRefused, next_state


class AgreementEvent(StrEnum):
    ACCEPT = "accept"  # the organization's signatory, in the app or by uploading the signed PDF
    COUNTERSIGN = "countersign"  # the ministry
    SUPERSEDE = "supersede"  # a later amendment came into force

    @property
    def label(self) -> str:
        return str(
            {
                AgreementEvent.ACCEPT: _l("accepter la convention"),
                AgreementEvent.COUNTERSIGN: _l("contresigner la convention"),
                AgreementEvent.SUPERSEDE: _l("remplacer la convention"),
            }[self]
        )


TRANSITIONS: dict[tuple[St, AgreementEvent], St] = {
    (St.SENT, AgreementEvent.ACCEPT): St.ACCEPTED,
    (St.ACCEPTED, AgreementEvent.COUNTERSIGN): St.COUNTERSIGNED,
    (St.COUNTERSIGNED, AgreementEvent.SUPERSEDE): St.SUPERSEDED,
}


agreement_in_force = signal("agreement-in-force")
"""Sent when a version is countersigned (the agreement, or an amendment, comes into force), with
`version` and `actor`: other features (the accountability schedule) follow it without agreements
importing them."""


class AgreementTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : cette version est à l'état « %(status)s ».")


def target(status: St | str, event: AgreementEvent) -> St:
    return next_state(TRANSITIONS, St(status), event, AgreementTransitionRefused)
