"""The request state machine: states as an enum, allowed transitions as one table.

Every change of a request's status goes through `transition()`: it refuses any move the table
does not list (with a message for the person who tried), writes the audit entry in the same
transaction and sends the `request_transitioned` signal that emails subscribe to.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from blinker import signal
from flask_babel import lazy_gettext as _l

from grants.core.audit import record
from grants.core.db import utcnow
from grants.core.workflow import TransitionRefused as BaseTransitionRefused
from grants.core.workflow import next_state


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    INFO_REQUESTED = "info_requested"
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    RequestStatus.DRAFT: _l("Brouillon"),
    RequestStatus.SUBMITTED: _l("Déposée"),
    RequestStatus.UNDER_REVIEW: _l("En analyse"),
    RequestStatus.INFO_REQUESTED: _l("Information demandée"),
    RequestStatus.RECOMMENDED: _l("Recommandée"),
    RequestStatus.APPROVED: _l("Acceptée"),
    RequestStatus.REFUSED: _l("Refusée"),
    RequestStatus.WITHDRAWN: _l("Retirée"),
}


class RequestEvent(StrEnum):
    SUBMIT = "submit"  # the organization submits its draft
    START_REVIEW = "start_review"  # an officer takes the file (assignment)
    REQUEST_INFO = "request_info"  # the officer reopens some sections to the organization
    PROVIDE_INFO = "provide_info"  # the organization answers; the file goes back to the officer
    RECOMMEND = "recommend"  # the officer's recommendation (approve or refuse)
    REOPEN_REVIEW = "reopen_review"  # back to analysis before the decision
    APPROVE = "approve"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"  # the organization withdraws a request not yet decided

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    RequestEvent.SUBMIT: _l("déposer la demande"),
    RequestEvent.START_REVIEW: _l("commencer l'analyse"),
    RequestEvent.REQUEST_INFO: _l("demander de l'information"),
    RequestEvent.PROVIDE_INFO: _l("transmettre l'information demandée"),
    RequestEvent.RECOMMEND: _l("formuler la recommandation"),
    RequestEvent.REOPEN_REVIEW: _l("rouvrir l'analyse"),
    RequestEvent.APPROVE: _l("accepter la demande"),
    RequestEvent.REFUSE: _l("refuser la demande"),
    RequestEvent.WITHDRAW: _l("retirer la demande"),
}

S, E = RequestStatus, RequestEvent
TRANSITIONS: dict[tuple[RequestStatus, RequestEvent], RequestStatus] = {
    (S.DRAFT, E.SUBMIT): S.SUBMITTED,
    (S.DRAFT, E.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, E.START_REVIEW): S.UNDER_REVIEW,
    (S.SUBMITTED, E.WITHDRAW): S.WITHDRAWN,
    (S.UNDER_REVIEW, E.REQUEST_INFO): S.INFO_REQUESTED,
    (S.UNDER_REVIEW, E.RECOMMEND): S.RECOMMENDED,
    (S.UNDER_REVIEW, E.WITHDRAW): S.WITHDRAWN,
    (S.INFO_REQUESTED, E.PROVIDE_INFO): S.UNDER_REVIEW,
    (S.INFO_REQUESTED, E.WITHDRAW): S.WITHDRAWN,
    (S.RECOMMENDED, E.REOPEN_REVIEW): S.UNDER_REVIEW,
    (S.RECOMMENDED, E.APPROVE): S.APPROVED,
    (S.RECOMMENDED, E.REFUSE): S.REFUSED,
}
"""Every allowed move. Anything else is refused: a decided request never changes state again."""

ORGANIZATION_EVENTS = frozenset({E.SUBMIT, E.PROVIDE_INFO, E.WITHDRAW})
OFFICER_EVENTS = frozenset(set(E) - ORGANIZATION_EVENTS)
EDITABLE_BY_ORGANIZATION = frozenset({S.DRAFT, S.INFO_REQUESTED})
OPEN_FOR_REVIEW = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.RECOMMENDED})

request_transitioned = signal("request-transitioned")
"""Sent after a transition with `request`, `event`, `before`, `after`, `actor` and `details`."""


class TransitionRefused(BaseTransitionRefused):
    """The move is not in the table (or the request changed meanwhile); `message` says why."""

    template = _l("Impossible de %(action)s : la demande est à l'état « %(status)s ».")


def allowed_events(status: RequestStatus | str) -> list[RequestEvent]:
    status = RequestStatus(status)
    return [event for (source, event) in TRANSITIONS if source is status]


def target(status: RequestStatus | str, event: RequestEvent) -> RequestStatus:
    """The state `event` leads to from `status`, or TransitionRefused."""
    return next_state(TRANSITIONS, RequestStatus(status), event, TransitionRefused)


def transition(
    request: Any, event: RequestEvent, *, actor: Any, details: dict[str, Any] | None = None
) -> None:
    """Move `request` by `event`: check the table, change the state, audit, signal.

    The caller flushes inside its transaction; the request's version column turns a concurrent
    change into StaleDataError at flush time (grants.requests.operations maps it to a message).
    """
    before = RequestStatus(request.status)
    after = target(before, event)
    request.status = after
    request.status_changed_at = utcnow()
    record(
        f"request.{event.value}",
        request,
        actor=actor,
        changes={"status": [before.value, after.value], **(details or {})},
    )
    request_transitioned.send(
        request, event=event, before=before, after=after, actor=actor, details=details or {}
    )
