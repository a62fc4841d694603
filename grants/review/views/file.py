"""The analysis page and the officer's work on the file: assignment, the assessment grid, an
information request to the organization."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user

from grants.requests.models import RequestSection
from grants.review import operations
from grants.review.views import blueprint
from grants.review.views.page import act, assignees, load, posted, render, versioned_action


@blueprint.get("/<int:request_id>")
def show(request_id: int) -> Any:
    return render(load(request_id))


@blueprint.post("/<int:request_id>/assigner")
def assign(request_id: int) -> Any:
    funding_request, forms = posted(request_id, "assign")
    form = forms.assign
    # The choices are the program's officers: a valid form names one of them.
    assignee = next((u for u in assignees(funding_request) if u.id == form.assignee_id.data), None)
    return act(
        funding_request,
        forms,
        form,
        lambda: operations.assign(
            funding_request, assignee, actor=current_user, expected_version=form.version.data
        ),
        _("Le dossier est confié à %(name)s.", name=getattr(assignee, "display_name", "")),
    )


@blueprint.post("/<int:request_id>/grille")
def score(request_id: int) -> Any:
    funding_request, forms = posted(request_id, "grid")
    valid = forms.grid.validate()
    if not valid:
        flash(_("La grille n'est pas enregistrée : corrigez les notes indiquées."), "error")
    return act(
        funding_request,
        forms,
        forms.grid,
        lambda: operations.save_scores(funding_request, forms.grid.entries(), actor=current_user),
        _("La grille d'analyse est enregistrée."),
        valid=valid,
        anchor="#grille",
    )


@blueprint.post("/<int:request_id>/information")
def ask_info(request_id: int) -> Any:
    def arguments(form: Any) -> tuple[list[RequestSection], str]:
        return [RequestSection(s) for s in form.sections.data or []], form.message.data or ""

    done = _("La demande d'information est envoyée à l'organisme.")
    return versioned_action(
        request_id, "info", operations.request_info, done, arguments=arguments, form_prefix="info-"
    )
