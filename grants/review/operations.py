"""Every change an officer makes to a request: assignment, scores, information requests,
recommendation and decision. Status changes go through grants.requests.workflow; a change made
meanwhile by someone else is refused with grants.core.concurrency.ConcurrentChange; the approval
checks the amounts (grants.programs.rules) and the envelope, and produces the agreement in the same
transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from grants.core.audit import record
from grants.core.clock import now
from grants.core.concurrency import check_version, optimistic
from grants.core.db import db, to_money
from grants.fiscal import FiscalYear
from grants.notifications import events
from grants.notifications.operations import notify
from grants.programs.rules import AmountLimits, amount_problem
from grants.requests.models import FundingRequest, InfoRequest, Recommendation, RequestSection
from grants.requests.workflow import (
    REQUEST_WORKFLOW,
    RequestEvent,
    RequestStatus,
    TransitionRefused,
    transition,
)
from grants.review.models import Assessment, AssessmentCriterion


class DecisionInvalid(ValueError):
    """The decision form does not hold a valid decision; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid decision")
        self.errors = errors


def assign(
    funding_request: FundingRequest, assignee: Any, *, actor: Any, expected_version: int | None = None
) -> None:
    """Give the file to an officer; a newly submitted request moves into analysis."""
    starts_review = REQUEST_WORKFLOW.can(funding_request, RequestEvent.START_REVIEW)
    if not (starts_review or funding_request.is_open_for_review):
        raise TransitionRefused(RequestStatus(funding_request.status), RequestEvent.START_REVIEW)
    with optimistic(funding_request, expected_version):
        before = funding_request.assignee_id
        funding_request.assignee_id = assignee.id
        if starts_review:
            details = {"assignee": assignee.email}
            transition(funding_request, RequestEvent.START_REVIEW, actor=actor, details=details)
        else:
            changes = {"assignee": [before, assignee.id]}
            record("request.assigned", funding_request, actor=actor, changes=changes)
    if assignee.id != getattr(actor, "id", None):
        notify(events.REQUEST_ASSIGNED, to=assignee, funding_request=funding_request, assigned_by=actor)


def criteria_of(program_id: int) -> list[AssessmentCriterion]:
    return list(
        db.session.scalars(
            db.select(AssessmentCriterion)
            .filter_by(program_id=program_id, active=True)
            .order_by(AssessmentCriterion.sort_order, AssessmentCriterion.id)
        )
    )


def scores_of(request_id: int) -> dict[int, Assessment]:
    return {
        a.criterion_id: a for a in db.session.scalars(db.select(Assessment).filter_by(request_id=request_id))
    }


def weighted_score(criteria: list[AssessmentCriterion], scores: dict[int, Assessment]) -> Decimal | None:
    """The grid's total out of 100: each criterion's score over its maximum, times its weight."""
    total_weight = sum((c.weight for c in criteria), Decimal(0))
    if (
        not criteria
        or total_weight == 0
        or any(scores.get(c.id) is None or scores[c.id].score is None for c in criteria)
    ):
        return None
    points = sum((Decimal(scores[c.id].score) / c.max_score * c.weight for c in criteria), Decimal(0))
    return (points * 100 / total_weight).quantize(Decimal("0.1"))


def save_scores(
    funding_request: FundingRequest, entries: dict[int, tuple[int | None, str]], *, actor: Any
) -> None:
    """Record the officer's scores and comments on the program's grid (only while in analysis)."""
    if not funding_request.is_in_analysis:
        raise TransitionRefused(RequestStatus(funding_request.status), RequestEvent.RECOMMEND)
    criteria = {c.id: c for c in criteria_of(funding_request.program_id)}
    existing = scores_of(funding_request.id)
    changes = {}
    for criterion_id, (score, comment) in entries.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            continue
        if score is not None and not 0 <= score <= criterion.max_score:
            raise DecisionInvalid({f"grid-{criterion_id}-score": str(score_message(criterion))})
        assessment = existing.get(criterion_id)
        if assessment is None:
            assessment = Assessment(request_id=funding_request.id, criterion_id=criterion_id)
            db.session.add(assessment)
        if (assessment.score, assessment.comment) != (score, comment.strip()):
            changes[criterion.name_fr] = [assessment.score, score]
            assessment.score, assessment.comment = score, comment.strip()
            assessment.officer_id = getattr(actor, "id", None)
    if changes:
        db.session.flush()
        record("request.scored", funding_request, actor=actor, changes=changes)


def score_message(criterion: AssessmentCriterion) -> Any:
    return _l("Note entre 0 et %(max)s.", max=criterion.max_score)


def request_info(
    funding_request: FundingRequest,
    sections: list[RequestSection],
    message: str,
    *,
    actor: Any,
    expected_version: int | None = None,
) -> InfoRequest:
    """Reopen the chosen sections to the organization with a question; it answers on its form."""
    if not sections:
        raise DecisionInvalid({"sections": str(_l("Cochez au moins une section à rouvrir."))})
    if not message.strip():
        raise DecisionInvalid({"message": str(_l("Écrivez votre question à l'organisme."))})
    with optimistic(funding_request, expected_version):
        info = InfoRequest(
            sections=[s.value for s in sections],
            message=message.strip(),
            asked_by_id=getattr(actor, "id", None),
        )
        funding_request.info_requests.append(info)
        details = {"sections": [s.value for s in sections], "message": message.strip()}
        transition(funding_request, RequestEvent.REQUEST_INFO, actor=actor, details=details)
    notify(events.REQUEST_INFO_REQUESTED, funding_request=funding_request, info=info)
    return info


def recommend(
    funding_request: FundingRequest,
    recommendation: Recommendation,
    comment: str,
    *,
    actor: Any,
    expected_version: int | None = None,
) -> None:
    with optimistic(funding_request, expected_version):
        funding_request.recommendation = recommendation
        funding_request.recommendation_comment = comment.strip()
        details = {"recommendation": recommendation.value, "comment": comment.strip()}
        transition(funding_request, RequestEvent.RECOMMEND, actor=actor, details=details)
    notify(events.REQUEST_RECOMMENDED, exclude=actor, funding_request=funding_request, recommended_by=actor)


def reopen_review(
    funding_request: FundingRequest, *, actor: Any, expected_version: int | None = None
) -> None:
    with optimistic(funding_request, expected_version):
        transition(funding_request, RequestEvent.REOPEN_REVIEW, actor=actor)


def _decision_allowed(
    funding_request: FundingRequest, event: RequestEvent, expected_version: int | None
) -> None:
    """A decision on a stale page, or on a request not awaiting one, is refused before anything else."""
    check_version(funding_request, expected_version)
    REQUEST_WORKFLOW.check(funding_request, event)


def approve(
    funding_request: FundingRequest,
    amounts: dict[FiscalYear, Decimal],
    conditions: str,
    *,
    actor: Any,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Any:
    """Approve with an amount per fiscal year (each may differ from the one asked) and conditions;
    check the envelope; create the agreement, its schedule and its PDF. Answers the agreement."""
    from grants.agreements.operations import create_agreement
    from grants.payments.envelopes import check_commitment

    _decision_allowed(funding_request, RequestEvent.APPROVE, expected_version)
    errors = approval_problems(funding_request, amounts)
    if errors:
        raise DecisionInvalid(errors)
    with optimistic(funding_request, expected_version):
        for year in funding_request.years:
            year.approved_amount = to_money(amounts.get(year.fiscal_year, Decimal(0)))
        check_commitment(
            funding_request.program_id,
            {y: to_money(a) for y, a in amounts.items() if a > 0},
            override_reason=override_reason,
            actor=actor,
            object_for_audit=funding_request,
        )
        funding_request.decision_conditions = conditions.strip()
        funding_request.envelope_override_reason = override_reason.strip()
        funding_request.decided_at, funding_request.decided_by_id = now(), getattr(actor, "id", None)
        approved = {str(y): to_money(a) for y, a in sorted(amounts.items())}
        details = {"approved": approved, "conditions": conditions.strip()}
        transition(funding_request, RequestEvent.APPROVE, actor=actor, details=details)
        agreement = create_agreement(funding_request, actor=actor)
    notify(events.REQUEST_APPROVED, funding_request=funding_request, agreement=agreement)
    return agreement


def approval_problems(funding_request: FundingRequest, amounts: dict[FiscalYear, Decimal]) -> dict[str, str]:
    """Why a decision's amounts cannot be granted (programs.rules, as at submission and amendment)."""
    errors: dict[str, str] = {}
    limits = AmountLimits.of_request(funding_request)
    for year in funding_request.fiscal_years:
        amount = amounts.get(year)
        name = f"approved-{year.start_year}"
        if amount is None:
            errors[name] = str(
                _l("Indiquez le montant accordé pour %(year)s (0 pour aucun).", year=str(year))
            )
        elif message := amount_problem(amount, year, limits, zero_allowed=True):
            errors[name] = message
    if not errors and not any(a > 0 for a in amounts.values()):
        errors["decision"] = str(_l("Une acceptation accorde un montant pour au moins un exercice."))
    return errors


def refuse(
    funding_request: FundingRequest, reasons: str, *, actor: Any, expected_version: int | None = None
) -> None:
    _decision_allowed(funding_request, RequestEvent.REFUSE, expected_version)
    if not reasons.strip():
        raise DecisionInvalid({"reasons": str(_l("Donnez les motifs du refus : l'organisme les recevra."))})
    with optimistic(funding_request, expected_version):
        funding_request.decision_reasons = reasons.strip()
        funding_request.decided_at, funding_request.decided_by_id = now(), getattr(actor, "id", None)
        transition(funding_request, RequestEvent.REFUSE, actor=actor, details={"reasons": reasons.strip()})
    notify(events.REQUEST_REFUSED, funding_request=funding_request)
