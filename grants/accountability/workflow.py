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

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from grants.core.workflow import TransitionRefused, Workflow


class ReportStatus(StrEnum):
    TO_DO = "to_do"  # scheduled, not started
    DRAFT = "draft"  # the organization has saved something
    SUBMITTED = "submitted"  # locked, waiting for the officer
    CHANGES_REQUESTED = "changes_requested"  # the officer reopened some sections
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # no longer owed (the agreement was amended or ended early)

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ReportStatus.TO_DO: _l("À faire"),
    ReportStatus.DRAFT: _l("En rédaction"),
    ReportStatus.SUBMITTED: _l("Déposé"),
    ReportStatus.CHANGES_REQUESTED: _l("Corrections demandées"),
    ReportStatus.ACCEPTED: _l("Accepté"),
    ReportStatus.CANCELLED: _l("Annulé"),
}


class ReportEvent(StrEnum):
    START = "start"  # the organization saves the report for the first time
    SUBMIT = "submit"  # the organization submits (or resubmits after changes)
    REQUEST_CHANGES = "request_changes"  # the officer reopens some sections, with a comment each
    ACCEPT = "accept"  # the officer accepts: installments waiting for the report are released
    CANCEL = "cancel"  # the schedule no longer asks for it
    REINSTATE = "reinstate"  # the schedule asks for it again (an amendment extended the agreement)

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    ReportEvent.START: _l("commencer le rapport"),
    ReportEvent.SUBMIT: _l("déposer le rapport"),
    ReportEvent.REQUEST_CHANGES: _l("demander des corrections"),
    ReportEvent.ACCEPT: _l("accepter le rapport"),
    ReportEvent.CANCEL: _l("annuler le rapport"),
    ReportEvent.REINSTATE: _l("rétablir le rapport"),
}

S, E = ReportStatus, ReportEvent
TRANSITIONS: dict[tuple[ReportStatus, ReportEvent], ReportStatus] = {
    (S.TO_DO, E.START): S.DRAFT,
    (S.TO_DO, E.CANCEL): S.CANCELLED,
    (S.DRAFT, E.SUBMIT): S.SUBMITTED,
    (S.DRAFT, E.CANCEL): S.CANCELLED,
    (S.SUBMITTED, E.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.SUBMITTED, E.ACCEPT): S.ACCEPTED,
    (S.CHANGES_REQUESTED, E.SUBMIT): S.SUBMITTED,
    (S.CANCELLED, E.REINSTATE): S.TO_DO,
}
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
    states=ReportStatus,
    events=ReportEvent,
    table=TRANSITIONS,
    refused=ReportTransitionRefused,
    audit_prefix="report",
)


def target(status: ReportStatus | str, event: ReportEvent) -> ReportStatus:
    """The state `event` leads to from `status`, or ReportTransitionRefused."""
    return WORKFLOW.target(status, event)
