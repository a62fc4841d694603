"""The indexation run state machine: its statuses (an enum), its events, its allowed moves (one table)
and the named sets pages and queries ask, on grants.core.workflow.

`RUNS` is the only writer of `IndexationRun.status` (the column is guarded, in models.py: a direct
assignment raises `StatusWriteRefused`). The operations audit each step under its own action
(`indexation.approved`, `indexation.applied`…), with the run's figures, so they move with
`audit=False`.
"""

from __future__ import annotations

from typing import Any

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
    APPROVE = "approve", _l("approuver")
    APPLY = "apply", _l("appliquer")
    CANCEL = "cancel", _l("abandonner")  # before application
    REVERSE = "reverse", _l("annuler")  # after application: the amounts are put back


S, E = RunStatus, RunEvent
MOVES: dict[RunEvent, tuple[frozenset[RunStatus], RunStatus]] = {
    E.APPROVE: (frozenset({S.PREVIEWED}), S.APPROVED),
    E.APPLY: (frozenset({S.APPROVED}), S.APPLIED),
    E.CANCEL: (frozenset({S.PREVIEWED, S.APPROVED}), S.CANCELLED),
    E.REVERSE: (frozenset({S.APPLIED}), S.REVERSED),
}
"""Each event: the states it may be taken from, and where it leads. A reversed or cancelled run
never moves again: a new run is prepared instead."""

TRANSITIONS = {(source, event): target for event, (sources, target) in MOVES.items() for source in sources}
"""The same, as the table `Workflow` reads."""

LIVE = frozenset({S.PREVIEWED, S.APPROVED, S.APPLIED})
"""At most one run per program and fiscal year is in these states (a unique index holds it)."""


class RunTransitionRefused(TransitionRefused):
    """Every event's label starts with a vowel (approuver, appliquer, abandonner, annuler): « d' »."""

    template = _l("Impossible d'%(action)s l'indexation : elle est à l'état « %(status)s ».")


RUNS: Workflow[RunStatus, RunEvent] = Workflow(
    states=S, events=E, table=TRANSITIONS, refused=RunTransitionRefused, audit_prefix="indexation"
)


def status_is(state: RunStatus, doc: str) -> property:
    """A run predicate on one state, for pages (`run.is_applied`), never a state spelled in them."""

    def holds(run: Any) -> bool:
        return run.status == state

    holds.__doc__ = doc
    return property(holds)
