"""The report state machine: states and events as enums, the one table of moves, the named sets of
states that pages and queries use (never a state spelled as a string).

    to_do ──start──▶ draft ──submit──▶ submitted ──accept──▶ accepted
                       ▲                  │
                       └──submit── changes_requested ◀──request_changes
    to_do / draft ──cancel──▶ cancelled ──reinstate──▶ to_do     (the schedule, when an agreement
                                                                   is amended or ends early)

`WORKFLOW.move()` is the only way a report's status changes: it checks the table, writes the
status and the audit entry (`report.<event>`). The column is guarded in `models.py`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum
from grants.core.workflow import TransitionRefused, Workflow, moves


class ReportStatus(LabelledEnum):
    TO_DO = "to_do", _l("À faire")  # scheduled, not started
    DRAFT = "draft", _l("En rédaction")  # the organization has saved something
    SUBMITTED = "submitted", _l("Déposé")  # locked, waiting for the officer
    CHANGES_REQUESTED = "changes_requested", _l("Corrections demandées")  # the officer reopened some sections
    ACCEPTED = "accepted", _l("Accepté")
    # no longer owed (the agreement was amended or ended early)
    CANCELLED = "cancelled", _l("Annulé")


class ReportEvent(LabelledEnum):
    START = "start", _l("commencer le rapport")  # the organization saves the report for the first time
    SUBMIT = "submit", _l("déposer le rapport")  # the organization submits (or resubmits after changes)
    # the officer reopens some sections, with a comment each
    REQUEST_CHANGES = "request_changes", _l("demander des corrections")
    # the officer accepts: installments waiting for the report are released
    ACCEPT = "accept", _l("accepter le rapport")
    CANCEL = "cancel", _l("annuler le rapport")  # the schedule no longer asks for it
    # the schedule asks for it again (an amendment extended the agreement)
    REINSTATE = "reinstate", _l("rétablir le rapport")


S, E = ReportStatus, ReportEvent
TRANSITIONS = moves(
    {
        S.TO_DO: {E.START: S.DRAFT, E.CANCEL: S.CANCELLED},
        S.DRAFT: {E.SUBMIT: S.SUBMITTED, E.CANCEL: S.CANCELLED},
        S.SUBMITTED: {E.REQUEST_CHANGES: S.CHANGES_REQUESTED, E.ACCEPT: S.ACCEPTED},
        S.CHANGES_REQUESTED: {E.SUBMIT: S.SUBMITTED},
        S.CANCELLED: {E.REINSTATE: S.TO_DO},
    }
)
"""Every allowed move; an accepted report never moves again."""

AWAITING_SUBMISSION = frozenset({S.TO_DO, S.DRAFT})
"""Not yet submitted: such a report can be late, and the schedule may still change it."""
EDITABLE_BY_ORGANIZATION = frozenset({S.TO_DO, S.DRAFT, S.CHANGES_REQUESTED})
OPEN_STATES = frozenset({S.TO_DO, S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED})
"""Still owed or in review: the officer's default queue."""
SUBMITTED_STATES = frozenset({S.SUBMITTED, S.CHANGES_REQUESTED, S.ACCEPTED})
"""Submitted at least once: a stored PDF exists."""
LIVE_STATES = frozenset(set(S) - {S.CANCELLED})
"""Part of the agreement's schedule."""


class ReportTransitionRefused(TransitionRefused):
    template = _l("Impossible de %(action)s : le rapport est à l'état « %(status)s ».")


WORKFLOW: Workflow[ReportStatus, ReportEvent] = Workflow(
    TRANSITIONS, refused=ReportTransitionRefused, audit_prefix="report"
)


def target(status: ReportStatus | str, event: ReportEvent) -> ReportStatus:
    """The state `event` leads to from `status`, or ReportTransitionRefused."""
    return WORKFLOW.target(status, event)
