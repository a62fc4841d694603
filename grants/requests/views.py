"""The organization's side of funding requests: its list, starting a request from a call, the
form (draft, attachments, submission, answer to an information request), the read-only page,
withdrawal, and the downloads of attachments and of the acknowledgement of receipt."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from grants.accounts.models import Membership
from grants.calls.models import Call
from grants.core import permissions
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.fields import attach_errors, input_errors
from grants.core.formatting import money
from grants.core.listing import csv_response
from grants.files.sniffing import UploadRefused, check_upload
from grants.files.storage import download
from grants.programs.rules import AmountLimits
from grants.reference.models import Measure, Nation, Region
from grants.reference.queries import current_plan
from grants.requests import operations, rules
from grants.requests.forms import RequestForm, StartRequestForm, WithdrawForm
from grants.requests.models import (
    AttachmentKind,
    BudgetCategory,
    FundingRequest,
    RequestAttachment,
    RequestSection,
)
from grants.requests.workflow import TransitionRefused

blueprint = Blueprint("requests", __name__, url_prefix="/demandes")

# The summary of a form refused whole: the person must know that leaving the page loses it.
NOT_SAVED = _l(
    "Vos modifications n'ont pas été enregistrées : corrigez ce qui suit, puis enregistrez de nouveau"
)
MAX_FILES_AT_ONCE = 10
# The request form may carry several files: a body over MAX_CONTENT_LENGTH (up to this many times
# it) is still read, so its fields are saved and the oversized files refused by name, instead of a
# bare 413 that loses everything typed.
OVERSIZED_FORM_FACTOR = 4


@blueprint.url_value_preprocessor
def _accept_oversized_request_form(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs before CSRF protection reads the form (url_value_preprocessors precede before_request)."""
    if endpoint == "requests.edit" and request.method == "POST":
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            request.max_content_length = limit * OVERSIZED_FORM_FACTOR


@blueprint.app_context_processor
def _budget_categories() -> dict[str, Any]:
    return {"budget_categories": list(BudgetCategory)}


def _load(request_id: int) -> FundingRequest:
    """The one place a request is loaded for these pages: 404 unless the user may read it."""
    return permissions.permitted(db.session.get(FundingRequest, request_id), permissions.can_read_request)


def _load_for_organization(request_id: int) -> FundingRequest:
    """A request its organization's contributors act on (404 for anyone else)."""
    funding_request = _load(request_id)
    permissions.ensure(permissions.can_contribute(current_user, funding_request.organization_id))
    return funding_request


@blueprint.get("/")
def index() -> Any:
    if permissions.is_staff(current_user) and "review.queue" in current_app.view_functions:
        return redirect(url_for("review.queue"))
    organization_ids = current_user.organization_ids()
    requests = db.session.scalars(
        db.select(FundingRequest)
        .where(FundingRequest.organization_id.in_(organization_ids))
        .options(selectinload(FundingRequest.program), selectinload(FundingRequest.years))
        .order_by(FundingRequest.created_at.desc())
    ).all()
    if request.args.get("format") == "csv":
        return csv_response(
            "demandes.csv",
            [_("Numéro"), _("Titre"), _("Organisme"), _("Programme"), _("État"), _("Montant demandé")],
            # Written now, while the related rows can still load (the CSV streams after the view).
            [
                [
                    fr.reference,
                    fr.title,
                    fr.organization.legal_name,
                    fr.program.code,
                    fr.status_label,
                    fr.total_requested,
                ]
                for fr in requests
            ],
            lambda values: values,
        )
    return render_template("requests/index.html", requests=requests)


@blueprint.route("/nouvelle/<int:call_id>", methods=["GET", "POST"])
def new(call_id: int) -> Any:
    """Start a draft for a call; the hidden one-time token makes a double-click create one draft."""
    call = db.session.get(Call, call_id)
    permissions.ensure(call is not None)
    memberships = [
        m
        for m in db.session.scalars(
            db.select(Membership)
            .filter_by(user_id=current_user.id)
            .options(selectinload(Membership.organization))
        )
        if permissions.can_contribute(current_user, m.organization_id)
    ]
    permissions.ensure(bool(memberships))
    if request.method == "GET" and len(memberships) == 1:
        draft = operations.existing_draft(memberships[0].organization_id, call.id)
        if draft is not None:  # open the draft already started rather than a second one
            return _open_existing_draft(draft)
    form = StartRequestForm()
    form.organization_id.choices = [(m.organization_id, m.organization.legal_name) for m in memberships]
    if form.validate_on_submit():
        organization = next(
            m.organization for m in memberships if m.organization_id == form.organization_id.data
        )
        problems = rules.start_problems(organization, call)
        if problems:
            for problem in problems:
                flash(str(problem), "error")
            return render_template("requests/new.html", call=call, form=form), 422
        token = (form.token.data or "")[:64] or secrets.token_urlsafe(24)  # the column holds 64
        try:
            funding_request, created = operations.start_request(
                organization, call, actor=current_user, token=token
            )
            db.session.commit()
        except IntegrityError:
            # The other click of a double-click committed the same token first: use its draft.
            db.session.rollback()
            funding_request, created = operations.start_request(
                organization, call, actor=current_user, token=token
            )
        if not created and funding_request.creation_token != token:
            return _open_existing_draft(funding_request)
        if created:
            flash(
                _(
                    "Le brouillon %(ref)s est créé. Enregistrez-le quand vous voulez.",
                    ref=funding_request.reference,
                ),
                "success",
            )
        return redirect(url_for("requests.edit", request_id=funding_request.id))
    if not form.is_submitted():
        form.token.data = secrets.token_urlsafe(24)
    return render_template("requests/new.html", call=call, form=form), 422 if form.is_submitted() else 200


def _open_existing_draft(draft: FundingRequest) -> Any:
    flash(
        _(
            "Votre organisme a déjà un brouillon pour cet appel, %(ref)s : le voici.",
            ref=draft.reference,
        ),
        "info",
    )
    return redirect(url_for("requests.edit", request_id=draft.id))


@blueprint.get("/<int:request_id>")
def show(request_id: int) -> Any:
    funding_request = _load(request_id)
    if permissions.can_review(current_user, funding_request) and "review.show" in current_app.view_functions:
        return redirect(url_for("review.show", request_id=request_id))
    return render_template(
        "requests/show.html",
        funding_request=funding_request,
        can_edit=permissions.can_edit_request(current_user, funding_request),
        can_withdraw=permissions.can_withdraw_request(current_user, funding_request),
    )


def _choices() -> dict[str, list]:
    plan = current_plan()
    measures = (
        db.session.scalars(db.select(Measure).filter_by(plan_id=plan.id).order_by(Measure.sort_order)).all()
        if plan
        else []
    )
    return {
        "measures": measures,
        "regions": db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        "nations": db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all(),
    }


@blueprint.route("/<int:request_id>/modifier", methods=["GET", "POST"])
def edit(request_id: int) -> Any:
    funding_request = _load_for_organization(request_id)
    choices = _choices()
    if request.method == "GET":
        if not permissions.can_edit_request(current_user, funding_request):
            return _closed(funding_request)
        form = RequestForm.of(operations.data_of(funding_request), version=funding_request.version, **choices)
        return _render_form(funding_request, form)

    form = RequestForm(**choices)
    if form.action.data == "submit" and not funding_request.is_draft:
        flash(_("Cette demande est déjà déposée."), "info")
        return redirect(url_for("requests.show", request_id=request_id))
    if not permissions.can_edit_request(current_user, funding_request):
        return _closed(funding_request)
    form.bind_grid(funding_request.fiscal_years)
    if not form.validate():
        return _render_form(funding_request, form, summary_title=NOT_SAVED), 422
    try:
        operations.save(
            funding_request,
            form.request_data(),
            actor=current_user,
            expected_version=form.version.data,
            confirm_drop=form.confirmed_drop(),
        )
        upload_error = _receive_attachments(funding_request, form)
        db.session.commit()
    except operations.PeriodDropsFigures as warning:
        db.session.rollback()
        return _render_form(
            _load(request_id),
            form,
            errors={"confirm_drop": _dropped_message(warning.dropped)},
            dropped=warning.dropped,
            summary_title=NOT_SAVED,
        ), 422
    except ConcurrentChange as change:
        db.session.rollback()
        flash(change.message, "error")
        flash(
            _("Ce que vous aviez tapé est resté dans le formulaire : comparez, puis enregistrez de nouveau.")
        )
        fresh = _load(request_id)
        form.version.data = fresh.version
        return _render_form(fresh, form), 409
    if upload_error:
        db.session.refresh(funding_request)
        form.version.data = funding_request.version
        return _render_form(funding_request, form, errors={"attachment": upload_error}), 422
    if form.action.data == "submit":
        return _submit(funding_request, form)
    if form.action.data == "provide_info":
        return _provide_info(funding_request, form)
    flash(_("Le brouillon est enregistré."), "success")
    return redirect(url_for("requests.edit", request_id=request_id))


def _closed(funding_request: FundingRequest) -> Any:
    flash(_("Cette demande ne peut plus être modifiée : elle a été déposée."), "info")
    return redirect(url_for("requests.show", request_id=funding_request.id)), 303


def _receive_attachments(funding_request: FundingRequest, form: RequestForm) -> str | None:
    """Attach every file chosen in the field; each refused one is named with its reason."""
    uploads = [upload for upload in form.attachment.data or [] if upload and upload.filename]
    if not uploads:
        return None
    kinds = {k.value for k in AttachmentKind}
    kind = AttachmentKind(form.attachment_kind.data if form.attachment_kind.data in kinds else "other")
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    refusals: list[str] = []
    if len(uploads) > MAX_FILES_AT_ONCE:
        refusals.append(
            _(
                "Vous avez choisi %(n)s fichiers ; envoyez-en au plus %(max)s à la fois. Les %(max)s "
                "premiers sont joints.",
                n=len(uploads),
                max=MAX_FILES_AT_ONCE,
            )
        )
    for upload in uploads[:MAX_FILES_AT_ONCE]:
        data = upload.read(limit + 1)
        try:
            accepted = check_upload(
                data,
                upload.filename or "",
                max_bytes=limit,
                allow_office=funding_request.program.office_attachments_allowed,
            )
        except UploadRefused as refusal:
            refusals.append(str(refusal.message))
            continue
        operations.add_attachment(funding_request, kind, accepted, actor=current_user)
    if not refusals:
        return None
    return " ".join(refusals) + " " + _("Le reste du formulaire est enregistré.")


def _submit(funding_request: FundingRequest, form: RequestForm) -> Any:
    try:
        submitted, now = operations.submit(funding_request.id, actor=current_user)
        db.session.commit()
    except operations.SubmissionIncomplete as incomplete:
        db.session.rollback()
        funding_request = _load(funding_request.id)
        form.version.data = funding_request.version
        errors: dict[str, str] = {}
        for name, message in incomplete.problems:
            errors[name] = (errors.get(name, "") + " " + message).strip()
        flash(_("Le brouillon est enregistré, mais la demande ne peut pas encore être déposée."), "error")
        return _render_form(funding_request, form, errors=errors), 422
    if now:
        flash(
            _(
                "La demande %(ref)s est déposée. Un accusé de réception vous est envoyé par courriel.",
                ref=submitted.reference,
            ),
            "success",
        )
    else:
        flash(_("Cette demande est déjà déposée."), "info")
    return redirect(url_for("requests.show", request_id=funding_request.id))


def _provide_info(funding_request: FundingRequest, form: RequestForm) -> Any:
    answer = (form.answer.data or "").strip()
    if not answer:
        # The reopened sections were saved just before (`edit`); only the answer is missing.
        db.session.refresh(funding_request)
        form.version.data = funding_request.version
        sections = ", ".join(sorted(str(s.label) for s in funding_request.open_sections))
        return _render_form(
            funding_request,
            form,
            errors={"answer": _("Écrivez votre réponse à l'agent·e, puis transmettez-la.")},
            summary_title=_(
                "Vos modifications sont enregistrées (%(sections)s), mais rien n'est encore transmis à "
                "l'agent·e : votre réponse est vide.",
                sections=sections,
            ),
        ), 422
    try:
        operations.provide_info(funding_request, answer, actor=current_user)
        db.session.commit()
    except (TransitionRefused, operations.NotEditable, ConcurrentChange):
        db.session.rollback()
        flash(_("Cette demande n'attend plus de réponse de votre part."), "error")
        return redirect(url_for("requests.show", request_id=funding_request.id))
    flash(_("Votre réponse est transmise à l'agent·e responsable."), "success")
    return redirect(url_for("requests.show", request_id=funding_request.id))


def _dropped_message(dropped: list[operations.DroppedYear]) -> str:
    """What a shorter period would delete, year by year, the Quebec way."""
    figures = "; ".join(
        _(
            "%(year)s : budget de %(budget)s, montant demandé de %(requested)s",
            year=str(d.fiscal_year),
            budget=money(d.budget_total),
            requested=money(d.requested),
        )
        for d in dropped
    )
    return _(
        "La nouvelle période ne couvre plus certains exercices qui ont des montants (%(figures)s). "
        "Rien n'est encore enregistré : corrigez la période, ou cochez la case de confirmation puis "
        "enregistrez de nouveau pour supprimer ces montants.",
        figures=figures,
    )


def _render_form(
    funding_request: FundingRequest,
    form: RequestForm,
    *,
    errors: dict | None = None,
    dropped: list | None = None,
    summary_title: Any = None,
) -> Any:
    errors = input_errors(form) | (errors or {})
    attach_errors(form, errors)
    years, outside = form.shown_years(funding_request.fiscal_years, {d.fiscal_year for d in dropped or []})
    return render_template(
        "requests/edit.html",
        funding_request=funding_request,
        form=form,
        errors=errors,
        years=years,
        totals=form.budget_totals(years),
        categories=list(BudgetCategory),
        limits=AmountLimits.of_request(funding_request),
        years_allowed=rules.years_allowed(funding_request),
        open_sections=funding_request.open_sections,
        sections=RequestSection,
        info=funding_request.open_info_request,
        dropped=dropped or [],
        dropped_years=outside,
        summary_title=summary_title,
    )


def _attachment_of(funding_request: FundingRequest, attachment_id: int) -> RequestAttachment:
    """One of the request's attachments (404 for another request's, or none)."""
    found = db.session.get(RequestAttachment, attachment_id)
    permissions.ensure(found is not None and found.request_id == funding_request.id)
    return found  # type: ignore[return-value]


@blueprint.post("/<int:request_id>/pieces/<int:attachment_id>/retirer")
def remove_attachment(request_id: int, attachment_id: int) -> Any:
    funding_request = _load_for_organization(request_id)
    attachment = _attachment_of(funding_request, attachment_id)
    try:
        operations.remove_attachment(funding_request, attachment, actor=current_user)
        db.session.commit()
        flash(_("La pièce jointe est retirée."), "success")
    except operations.NotEditable:
        db.session.rollback()
        flash(_("Les pièces jointes de cette demande ne peuvent plus être modifiées."), "error")
    return redirect(url_for("requests.edit", request_id=request_id))


@blueprint.get("/<int:request_id>/pieces/<int:attachment_id>")
def attachment(request_id: int, attachment_id: int) -> Any:
    return download(_attachment_of(_load(request_id), attachment_id).file)


@blueprint.get("/<int:request_id>/accuse-de-reception.pdf")
def acknowledgement(request_id: int) -> Any:
    return download(permissions.found(_load(request_id).acknowledgement))


@blueprint.route("/<int:request_id>/retirer", methods=["GET", "POST"])
def withdraw(request_id: int) -> Any:
    funding_request = _load_for_organization(request_id)
    form = WithdrawForm()
    if not form.is_submitted():
        form.version.data = funding_request.version
    if form.validate_on_submit():
        try:
            operations.withdraw(
                funding_request,
                actor=current_user,
                reason=form.reason.data or "",
                expected_version=form.version.data,
            )
            db.session.commit()
        except (TransitionRefused, ConcurrentChange) as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("requests.show", request_id=request_id))
        flash(_("La demande %(ref)s est retirée.", ref=funding_request.reference), "success")
        return redirect(url_for("requests.index"))
    return render_template("requests/withdraw.html", funding_request=funding_request, form=form)
