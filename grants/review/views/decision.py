"""The end of the analysis: the officer's recommendation, reopening the analysis, and the decision
(approval with an amount per fiscal year, or refusal with reasons)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from grants.requests.models import Recommendation
from grants.review import operations
from grants.review.views import blueprint
from grants.review.views.page import PageForms, act, invalid, load_for_action


@blueprint.post("/<int:request_id>/recommandation")
def recommend(request_id: int) -> Any:
    funding_request = load_for_action(request_id)
    forms = PageForms.of(funding_request)
    form = forms.recommend
    if not form.validate():
        return invalid(funding_request, forms, form)
    return act(
        funding_request,
        forms,
        lambda: operations.recommend(
            funding_request,
            Recommendation(form.recommendation.data),
            form.comment.data or "",
            actor=current_user,
            expected_version=form.version.data,
        ),
        _("La recommandation est enregistrée."),
    )


@blueprint.post("/<int:request_id>/rouvrir")
def reopen(request_id: int) -> Any:
    funding_request = load_for_action(request_id)
    forms = PageForms.of(funding_request)
    if not forms.reopen.validate():
        return invalid(funding_request, forms, forms.reopen)
    return act(
        funding_request,
        forms,
        lambda: operations.reopen_review(
            funding_request, actor=current_user, expected_version=forms.reopen.version.data
        ),
        _("L'analyse est rouverte."),
    )


@blueprint.post("/<int:request_id>/decision")
def decide(request_id: int) -> Any:
    funding_request = load_for_action(request_id)
    forms = PageForms.of(funding_request)
    form = forms.decision
    approving = form.decision.data == "approve"
    # The amounts are read only for an approval: a refusal is not held back by a stray cell.
    if not form.validate() and (approving or set(form.errors) - {"approved"}):
        return invalid(funding_request, forms, form)
    if approving:
        return act(
            funding_request,
            forms,
            lambda: operations.approve(
                funding_request,
                form.amounts(),
                form.conditions.data or "",
                actor=current_user,
                override_reason=form.override_reason.data or "",
                expected_version=form.version.data,
            ),
            _("La demande est acceptée ; la convention est envoyée à l'organisme."),
            form_prefix="decision-",
        )
    return act(
        funding_request,
        forms,
        lambda: operations.refuse(
            funding_request, form.reasons.data or "", actor=current_user, expected_version=form.version.data
        ),
        _("La demande est refusée ; l'organisme en est informé."),
        form_prefix="decision-",
    )
