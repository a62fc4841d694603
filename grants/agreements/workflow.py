"""The agreement version state machine: SENT → ACCEPTED → COUNTERSIGNED → SUPERSEDED.

Each version (the original, then one per amendment) moves through `VERSIONS`, the only writer of
`AgreementVersion.status`. An agreement's own `status` is not a second state machine: it mirrors
its current (latest) version's status, kept in a column for lists and queries, and
`move_version()` is the one place that writes it (both columns are guarded, in models.py: a direct
assignment raises `StatusWriteRefused`). Whether an agreement is in force is `Agreement.in_force` (some
version countersigned), since an amendment waiting for signatures leaves the earlier one in force.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum
from grants.core.workflow import TransitionRefused, Workflow, moves, writing_status


class AgreementStatus(LabelledEnum):
    """The state of one version (grants.agreements.workflow moves it); an agreement's `status`
    mirrors its current version's."""

    SENT = "sent", _l("Envoyée à l'organisme")  # waiting for the organization's signatory
    ACCEPTED = "accepted", _l("Acceptée par l'organisme")  # by its authorized signatory
    COUNTERSIGNED = "countersigned", _l("Contresignée (en vigueur)")  # by the ministry: in force
    SUPERSEDED = "superseded", _l("Remplacée par un avenant")  # a later version came into force


St = AgreementStatus


class AgreementEvent(LabelledEnum):
    ACCEPT = "accept", _l("accepter la convention")  # the organization's signatory (app or signed PDF)
    COUNTERSIGN = "countersign", _l("contresigner la convention")  # the ministry
    SUPERSEDE = "supersede", _l("remplacer la convention")  # a later amendment came into force


Ev = AgreementEvent
TRANSITIONS = moves(
    {
        St.SENT: {Ev.ACCEPT: St.ACCEPTED},
        St.ACCEPTED: {Ev.COUNTERSIGN: St.COUNTERSIGNED},
        St.COUNTERSIGNED: {Ev.SUPERSEDE: St.SUPERSEDED},
    }
)


class AgreementTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : cette version est à l'état « %(status)s ».")


VERSIONS: Workflow[St, AgreementEvent] = Workflow(
    TRANSITIONS, refused=AgreementTransitionRefused, audit_prefix="agreement"
)


def move_version(
    agreement: Any, version: Any, event: AgreementEvent, *, actor: Any, **details: Any
) -> tuple[St, St]:
    """Move one version by `event` (audited on the agreement, `agreement.<event>`), then bring the
    agreement's status in line with its current version."""
    moved = VERSIONS.move(
        version, event, actor=actor, details={"version": version.number, **details}, audit_object=agreement
    )
    mirror_current_status(agreement)
    return moved


def mirror_current_status(agreement: Any) -> None:
    """`agreement.status` := its current version's status (a new amendment makes it SENT again)."""
    with writing_status(agreement):
        agreement.status = St(agreement.current.status)
