"""The end of the analysis: the officer's recommendation, reopening the analysis, and the decision
(approval with an amount per fiscal year, or refusal with reasons)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from grants.requests.models import Recommendation
from grants.review import operations
from grants.review.views import blueprint
from grants.review.views.page import act, posted, versioned_action


@blueprint.post("/<int:request_id>/recommandation")
def recommend(request_id: int) -> Any:
    return versioned_action(
        request_id,
        "recommend",
        operations.recommend,
        _("La recommandation est enregistrée."),
        arguments=lambda form: (Recommendation(form.recommendation.data), form.comment.data or ""),
    )


@blueprint.post("/<int:request_id>/rouvrir")
def reopen(request_id: int) -> Any:
    return versioned_action(request_id, "reopen", operations.reopen_review, _("L'analyse est rouverte."))


@blueprint.post("/<int:request_id>/decision")
def decide(request_id: int) -> Any:
    funding_request, forms = posted(request_id, "decision")
    form = forms.decision
    approving = form.decision.data == "approve"
    # The amounts are read only for an approval: a refusal is not held back by a stray cell.
    valid = form.validate() or (not approving and not set(form.errors) - {"approved"})
    if approving:

        def change() -> Any:
            return operations.approve(
                funding_request,
                form.amounts(),
                form.conditions.data or "",
                actor=current_user,
                override_reason=form.override_reason.data or "",
                expected_version=form.version.data,
            )

        done = _("La demande est acceptée ; la convention est envoyée à l'organisme.")
    else:

        def change() -> Any:
            return operations.refuse(
                funding_request,
                form.reasons.data or "",
                actor=current_user,
                expected_version=form.version.data,
            )

        done = _("La demande est refusée ; l'organisme en est informé.")
    return act(funding_request, forms, form, change, done, valid=valid, form_prefix="decision-")
