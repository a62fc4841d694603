"""The request state machine: states as an enum, allowed moves as one table, on grants.core.workflow.

Every change of a request's status goes through `transition()` (the `REQUEST_WORKFLOW`): it refuses
any move the table does not list (with a message for the person who tried), writes the audit entry
`request.<event>` in the same transaction and stamps `status_changed_at`. `FundingRequest.status`
is guarded (grants.requests.models): assigning it anywhere else raises `StatusWriteRefused`.

Pages and queries ask the named sets below (or the model's predicates built on them), never a
state spelled as a string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.clock import now
from grants.core.enums import LabelledEnum
from grants.core.workflow import TransitionRefused as BaseTransitionRefused
from grants.core.workflow import Workflow


class RequestStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    INFO_REQUESTED = "info_requested"
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


RequestStatus.labelled(
    {
        RequestStatus.DRAFT: _l("Brouillon"),
        RequestStatus.SUBMITTED: _l("Déposée"),
        RequestStatus.UNDER_REVIEW: _l("En analyse"),
        RequestStatus.INFO_REQUESTED: _l("Information demandée"),
        RequestStatus.RECOMMENDED: _l("Recommandée"),
        RequestStatus.APPROVED: _l("Acceptée"),
        RequestStatus.REFUSED: _l("Refusée"),
        RequestStatus.WITHDRAWN: _l("Retirée"),
    }
)


class RequestEvent(LabelledEnum):
    SUBMIT = "submit"  # the organization submits its draft
    START_REVIEW = "start_review"  # an officer takes the file (assignment)
    REQUEST_INFO = "request_info"  # the officer reopens some sections to the organization
    PROVIDE_INFO = "provide_info"  # the organization answers; the file goes back to the officer
    RECOMMEND = "recommend"  # the officer's recommendation (approve or refuse)
    REOPEN_REVIEW = "reopen_review"  # back to analysis before the decision
    APPROVE = "approve"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"  # the organization withdraws a request not yet decided


RequestEvent.labelled(
    {
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
)

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

# -- the named sets pages and queries ask -----------------------------------------------------------
SUBMITTED_ONCE = frozenset(set(S) - {S.DRAFT})
"""Every state after submission: what the ministry sees (a draft is the organization's alone)."""
EDITABLE_BY_ORGANIZATION = frozenset({S.DRAFT, S.INFO_REQUESTED})
"""The organization may change the request (all of a draft; the reopened sections otherwise)."""
OPEN_FOR_REVIEW = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.RECOMMENDED})
"""Submitted and not decided: the officer's queue, assignment."""
IN_ANALYSIS = frozenset({S.UNDER_REVIEW, S.RECOMMENDED})
"""The officer scores the assessment grid (until the decision)."""
AWAITING_DECISION = frozenset({S.RECOMMENDED})
"""Recommended: the decision (approve or refuse) may be taken."""


def status_in(states: Iterable[RequestStatus], doc: str) -> property:
    """A request predicate on one of the named sets above (`FundingRequest.is_open_for_review`)."""
    members = frozenset(states)

    def holds(request: Any) -> bool:
        return request.status in members

    holds.__doc__ = doc
    return property(holds)


class TransitionRefused(BaseTransitionRefused):
    """The move is not in the table; `message` says why in words."""

    template = _l("Impossible de %(action)s : la demande est à l'état « %(status)s ».")


REQUEST_WORKFLOW: Workflow[RequestStatus, RequestEvent] = Workflow(
    states=RequestStatus,
    events=RequestEvent,
    table=TRANSITIONS,
    refused=TransitionRefused,
    audit_prefix="request",
)


def allowed_events(status: RequestStatus | str) -> list[RequestEvent]:
    """The events the table allows from `status` (for showing the buttons of a page)."""
    return REQUEST_WORKFLOW.allowed_events(status)


def target(status: RequestStatus | str, event: RequestEvent) -> RequestStatus:
    """The state `event` leads to from `status`, or TransitionRefused."""
    return REQUEST_WORKFLOW.target(status, event)


def transition(
    request: Any, event: RequestEvent, *, actor: Any, details: dict[str, Any] | None = None
) -> tuple[RequestStatus, RequestStatus]:
    """Move `request` by `event`: check the table, change the state, stamp the moment, audit.

    The caller flushes inside its transaction (grants.core.concurrency.optimistic): the request's
    version column turns a concurrent change into ConcurrentChange.
    """
    moved = REQUEST_WORKFLOW.move(request, event, actor=actor, details=details)
    request.status_changed_at = now()
    return moved
