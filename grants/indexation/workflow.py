"""The indexation run state machine: its statuses (an enum), its events, its allowed moves (one table)
and the named sets pages and queries ask, on grants.core.workflow.

`RUNS` is the only writer of `IndexationRun.status` (the column is guarded, in models.py: a direct
assignment raises `StatusWriteRefused`). The operations audit each step under its own action
(`indexation.approved`, `indexation.applied`…), with the run's figures, so they move with
`audit=False`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum
from grants.core.workflow import TransitionRefused, Workflow


class RunStatus(LabelledEnum):
    PREVIEWED = "previewed", _l("Aperçu à approuver")  # lines frozen, waiting for an authorized officer
    APPROVED = "approved", _l("Approuvée")
    APPLIED = "applied", _l("Appliquée")
    REVERSED = "reversed", _l("Annulée après application")
    CANCELLED = "cancelled", _l("Abandonnée")  # set aside before application


class RunEvent(LabelledEnum):
    APPROVE = "approve", _l("approuver l'indexation")
    APPLY = "apply", _l("appliquer l'indexation")
    CANCEL = "cancel", _l("abandonner l'indexation")
    REVERSE = "reverse", _l("annuler l'indexation")


S, E = RunStatus, RunEvent
TRANSITIONS: dict[tuple[RunStatus, RunEvent], RunStatus] = {
    (S.PREVIEWED, E.APPROVE): S.APPROVED,
    (S.PREVIEWED, E.CANCEL): S.CANCELLED,
    (S.APPROVED, E.APPLY): S.APPLIED,
    (S.APPROVED, E.CANCEL): S.CANCELLED,
    (S.APPLIED, E.REVERSE): S.REVERSED,
}
"""A reversed or cancelled run never moves again: a new run is prepared instead."""

LIVE = frozenset({S.PREVIEWED, S.APPROVED, S.APPLIED})
"""At most one run per program and fiscal year is in these states (a unique index holds it)."""


class RunTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : elle est à l'état « %(status)s ».")


RUNS: Workflow[RunStatus, RunEvent] = Workflow(
    states=RunStatus,
    events=RunEvent,
    table=TRANSITIONS,
    refused=RunTransitionRefused,
    audit_prefix="indexation",
)
