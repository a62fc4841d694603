"""What the analysis page's views share: loading the request (404 unless the user may), its forms,
its rendering, and the one way every action ends (commit, or the refusal the person sees)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.accounts.queries import officers_of_program
from grants.coordination.explain import request_flags
from grants.core import permissions
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.fields import attach_errors, input_errors
from grants.payments.envelopes import EnvelopeExceeded, positions
from grants.requests.models import FundingRequest, Recommendation
from grants.requests.workflow import RequestEvent, RequestStatus, TransitionRefused, allowed_events
from grants.review import operations
from grants.review.forms import (
    AssessmentForm,
    AssignForm,
    DecisionForm,
    InfoRequestForm,
    RecommendForm,
    ReopenForm,
)
from grants.review.queries import agreement_of, history_of
from grants.review.views import blueprint


@blueprint.app_template_filter("recommendation_label")
def _recommendation_label(value: str | None) -> str:
    return Recommendation(value).label if value else _("aucune")


@blueprint.app_template_filter("request_status_label")
def _status_label(status: str) -> str:
    return RequestStatus(status).label


def load(request_id: int) -> FundingRequest:
    """A submitted request the user may read here (its program's officers, the coordination cell)."""
    return permissions.permitted(db.session.get(FundingRequest, request_id), permissions.can_read_review)


def posted(request_id: int, name: str) -> tuple[FundingRequest, PageForms]:
    """A submitted request the user may act on (its program's officers; 404 for anyone else), and
    the page's forms: form `name` bound to what was posted, the others to the request."""
    funding_request = permissions.permitted(
        db.session.get(FundingRequest, request_id), permissions.can_review
    )
    return funding_request, PageForms.of(funding_request, posted=name)


@dataclass
class PageForms:
    """The forms of the analysis page: the one posted keeps what was typed, the others show the
    request as it is."""

    assign: AssignForm
    grid: AssessmentForm
    info: InfoRequestForm
    recommend: RecommendForm
    decision: DecisionForm
    reopen: ReopenForm

    @classmethod
    def of(cls, funding_request: FundingRequest, *, posted: str | None = None) -> PageForms:
        def bound(name: str) -> dict[str, Any]:
            return {} if name == posted else {"formdata": None}

        criteria = operations.criteria_of(funding_request.program_id)
        forms = cls(
            assign=AssignForm(prefix="assign", **bound("assign")),
            grid=AssessmentForm.of(criteria, operations.scores_of(funding_request.id), **bound("grid")),
            info=InfoRequestForm(prefix="info", **bound("info")),
            recommend=RecommendForm(prefix="recommend", **bound("recommend")),
            decision=DecisionForm(prefix="decision", **bound("decision")),
            reopen=ReopenForm(prefix="reopen", **bound("reopen")),
        )
        forms.assign.assignee_id.choices = [(u.id, u.display_name) for u in assignees(funding_request)]
        forms.decision.set_request(funding_request)
        if posted != "assign":
            forms.assign.assignee_id.data = funding_request.assignee_id or current_user.id
        for name in ("assign", "info", "recommend", "decision", "reopen"):
            if name != posted:
                getattr(forms, name).version.data = funding_request.version
        return forms


def assignees(funding_request: FundingRequest) -> list[Any]:
    """Who may be given the file: the program's officers."""
    return officers_of_program(funding_request.program_id)


def render(
    funding_request: FundingRequest,
    *,
    status: int = 200,
    errors: dict | None = None,
    forms: PageForms | None = None,
) -> Any:
    forms = forms or PageForms.of(funding_request)
    for form in (forms.assign, forms.grid, forms.info, forms.recommend, forms.decision):
        attach_errors(form, errors or {})
    criteria = operations.criteria_of(funding_request.program_id)
    scores = operations.scores_of(funding_request.id)
    years = funding_request.fiscal_years
    can_act = permissions.can_review(current_user, funding_request)
    return render_template(
        "review/show.html",
        funding_request=funding_request,
        forms=forms,
        errors=errors or {},
        can_act=can_act,
        can_decide=permissions.can_decide(current_user, funding_request),
        events=allowed_events(funding_request.status) if can_act else [],
        Event=RequestEvent,
        criteria=criteria,
        scores=scores,
        weighted=operations.weighted_score(criteria, scores),
        envelope=positions(funding_request.program_id, years) if years else {},
        history=history_of(funding_request),
        agreement=agreement_of(funding_request.id),
        can_authorize=permissions.can_authorize_for_program(current_user, funding_request.program_id),
        cell_flags=request_flags(funding_request.id),
        cell_links=permissions.can_supervise_funding(current_user),
    ), status


def act(
    funding_request: FundingRequest,
    forms: PageForms,
    form: Any,
    change: Callable[[], Any],
    done: str,
    *,
    valid: bool | None = None,
    form_prefix: str = "",
    anchor: str = "",
) -> Any:
    """Run one officer's action from `form` (checked first, unless `valid` says) and commit, or show
    the page again with why it was refused: invalid input (422, what was typed kept), a concurrent
    change or a move the workflow refuses (409, the request as it is now)."""
    if not (form.validate() if valid is None else valid):
        return render(funding_request, status=422, errors=input_errors(form), forms=forms)
    request_id = funding_request.id
    try:
        change()
        db.session.commit()
    except operations.DecisionInvalid as invalid:
        db.session.rollback()
        errors = {form_prefix + name: message for name, message in invalid.errors.items()}
        return render(load(request_id), status=422, errors=errors, forms=forms)
    except EnvelopeExceeded as exceeded:
        db.session.rollback()
        errors = {form_prefix + "override_reason": exceeded.message}
        return render(load(request_id), status=422, errors=errors, forms=forms)
    except (ConcurrentChange, TransitionRefused) as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return render(load(request_id), status=409)
    flash(done, "success")
    return redirect(url_for("review.show", request_id=request_id) + anchor)


def versioned_action(
    request_id: int,
    name: str,
    operation: Callable[..., Any],
    done: str,
    *,
    arguments: Callable[[Any], tuple[Any, ...]] = lambda form: (),
    **options: Any,
) -> Any:
    """The officer's action of the page's form `name`, through `act()`: `operation(request,
    *arguments(form), actor=<the officer>, expected_version=<the form's version>)`. `arguments`
    reads the form only once it is valid."""
    funding_request, forms = posted(request_id, name)
    form = getattr(forms, name)
    return act(
        funding_request,
        forms,
        form,
        lambda: operation(
            funding_request, *arguments(form), actor=current_user, expected_version=form.version.data
        ),
        done,
        **options,
    )
