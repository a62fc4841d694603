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
from grants.core.workflow import Workflow, moves


class RequestStatus(LabelledEnum):
    DRAFT = "draft", _l("Brouillon")
    SUBMITTED = "submitted", _l("Déposée")
    UNDER_REVIEW = "under_review", _l("En analyse")
    INFO_REQUESTED = "info_requested", _l("Information demandée")
    RECOMMENDED = "recommended", _l("Recommandée")
    APPROVED = "approved", _l("Acceptée")
    REFUSED = "refused", _l("Refusée")
    WITHDRAWN = "withdrawn", _l("Retirée")


class RequestEvent(LabelledEnum):
    SUBMIT = "submit", _l("déposer la demande")  # the organization submits its draft
    START_REVIEW = "start_review", _l("commencer l'analyse")  # an officer takes the file (assignment)
    # the officer reopens some sections to the organization
    REQUEST_INFO = "request_info", _l("demander de l'information")
    # the organization answers; the file goes back to the officer
    PROVIDE_INFO = "provide_info", _l("transmettre l'information demandée")
    # the officer's recommendation (approve or refuse)
    RECOMMEND = "recommend", _l("formuler la recommandation")
    REOPEN_REVIEW = "reopen_review", _l("rouvrir l'analyse")  # back to analysis before the decision
    APPROVE = "approve", _l("accepter la demande")
    REFUSE = "refuse", _l("refuser la demande")
    WITHDRAW = "withdraw", _l("retirer la demande")  # the organization withdraws a request not yet decided


S, E = RequestStatus, RequestEvent
TRANSITIONS = moves(
    {
        S.DRAFT: {E.SUBMIT: S.SUBMITTED, E.WITHDRAW: S.WITHDRAWN},
        S.SUBMITTED: {E.START_REVIEW: S.UNDER_REVIEW, E.WITHDRAW: S.WITHDRAWN},
        S.UNDER_REVIEW: {
            E.REQUEST_INFO: S.INFO_REQUESTED,
            E.RECOMMEND: S.RECOMMENDED,
            E.WITHDRAW: S.WITHDRAWN,
        },
        S.INFO_REQUESTED: {E.PROVIDE_INFO: S.UNDER_REVIEW, E.WITHDRAW: S.WITHDRAWN},
        S.RECOMMENDED: {E.REOPEN_REVIEW: S.UNDER_REVIEW, E.APPROVE: S.APPROVED, E.REFUSE: S.REFUSED},
    }
)
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
    TRANSITIONS, refused=TransitionRefused, audit_prefix="request"
)

allowed_events = REQUEST_WORKFLOW.allowed_events
"""The events the table allows from a status (for showing the buttons of a page)."""


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
