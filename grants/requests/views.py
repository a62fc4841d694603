"""The organization's side of funding requests: its list, starting a request from a call, the
form (draft, attachments, submission, answer to an information request), the read-only page,
withdrawal, and the downloads of attachments and of the acknowledgement of receipt."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from grants.accounts.models import Membership
from grants.calls.models import Call
from grants.core import permissions
from grants.core.db import db
from grants.core.inputs import whole_number
from grants.core.roles import MemberRole
from grants.files.sniffing import UploadRefused, check_upload
from grants.files.storage import download
from grants.fiscal import FiscalYear
from grants.reference.models import ActionPlan, Measure, Nation, Region
from grants.requests import operations
from grants.requests.forms import (
    BLANK_FUNDING_ROWS,
    RequestForm,
    StartRequestForm,
    WithdrawForm,
    grid_from_request,
    parse_grid,
    request_data,
)
from grants.requests.models import (
    AttachmentKind,
    BudgetCategory,
    FundingRequest,
    RequestAttachment,
    RequestSection,
)
from grants.requests.workflow import RequestEvent, RequestStatus, TransitionRefused, allowed_events

blueprint = Blueprint("requests", __name__, url_prefix="/demandes")
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


def _load(request_id: int, *, rule: Any = None) -> FundingRequest:
    """The one place a request is loaded for these pages: 404 unless the user may see it."""
    funding_request = db.session.get(FundingRequest, request_id)
    permissions.ensure(
        funding_request is not None
        and permissions.can_read_funding_file(
            current_user, funding_request.organization_id, funding_request.program_id
        )
    )
    if rule is not None:
        permissions.ensure(rule(current_user, funding_request.organization_id))
    return funding_request  # type: ignore[return-value]


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
    return render_template("requests/index.html", requests=requests)


@blueprint.route("/nouvelle/<int:call_id>", methods=["GET", "POST"])
def new(call_id: int) -> Any:
    """Start a draft for a call; the hidden one-time token makes a double-click create one draft."""
    call = db.session.get(Call, call_id)
    permissions.ensure(call is not None)
    memberships = db.session.scalars(
        db.select(Membership)
        .filter_by(user_id=current_user.id)
        .where(Membership.role.in_([MemberRole.ACCOUNT_ADMIN, MemberRole.CONTRIBUTOR]))
        .options(selectinload(Membership.organization))
    ).all()
    permissions.ensure(bool(memberships))
    form = StartRequestForm()
    form.organization_id.choices = [(m.organization_id, m.organization.legal_name) for m in memberships]
    if form.validate_on_submit():
        organization = next(
            m.organization for m in memberships if m.organization_id == form.organization_id.data
        )
        problems = operations.eligibility_problems(organization, call)
        if not call.is_open():
            problems.append(_("Cet appel n'est pas ouvert en ce moment."))
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


@blueprint.get("/<int:request_id>")
def show(request_id: int) -> Any:
    funding_request = _load(request_id)
    if (
        permissions.can_review_request(current_user, funding_request.program_id)
        and "review.show" in current_app.view_functions
    ):
        return redirect(url_for("review.show", request_id=request_id))
    return render_template(
        "requests/show.html",
        funding_request=funding_request,
        can_edit=permissions.can_edit_request(current_user, funding_request.organization_id)
        and operations.is_editable(funding_request),
        can_withdraw=permissions.can_edit_request(current_user, funding_request.organization_id)
        and RequestEvent.WITHDRAW in allowed_events(funding_request.status),
    )


def _choices() -> dict[str, list]:
    plan = db.session.execute(db.select(ActionPlan).filter_by(code="2026-2029")).scalar_one_or_none()
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


def _years_for(form: RequestForm, funding_request: FundingRequest) -> list[FiscalYear]:
    start, end = form.start_date.data, form.end_date.data
    if start and end and end >= start and len(FiscalYear.spanning(start, end)) <= 10:
        return FiscalYear.spanning(start, end)
    return funding_request.fiscal_years


def _grid_years(form: RequestForm, funding_request: FundingRequest) -> list[FiscalYear]:
    """The columns posted: the new period's years and the saved ones (whose figures a shorter
    period would drop, and which are kept until the person confirms)."""
    return sorted(set(_years_for(form, funding_request)) | set(funding_request.fiscal_years))


def _confirmed_drop() -> set[FiscalYear]:
    """The fiscal years whose figures the person agreed to delete (the confirmation box)."""
    years = set()
    for value in request.form.getlist("confirm_drop"):
        years.update(FiscalYear(int(part)) for part in value.split() if part.isdigit() and len(part) == 4)
    return years


@blueprint.route("/<int:request_id>/modifier", methods=["GET", "POST"])
def edit(request_id: int) -> Any:
    funding_request = _load(request_id, rule=permissions.can_edit_request)
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "submit" and funding_request.status != RequestStatus.DRAFT:
        flash(_("Cette demande est déjà déposée."), "info")
        return redirect(url_for("requests.show", request_id=request_id))
    if not operations.is_editable(funding_request):
        flash(_("Cette demande ne peut plus être modifiée : elle a été déposée."), "info")
        return redirect(url_for("requests.show", request_id=request_id)), 303
    choices = _choices()
    if request.method == "GET":
        data = operations.data_of(funding_request)
        form = RequestForm(data=vars(data) | {"version": str(funding_request.version)}, **choices)
        grid = grid_from_request(data)
        return _render_form(funding_request, form, grid)

    form = RequestForm(**choices)
    form.validate()
    grid = parse_grid(request.form, _grid_years(form, funding_request))
    errors = {name: " ".join(map(str, messages)) for name, messages in form.errors.items()} | grid.errors
    if errors:
        return _render_form(funding_request, form, grid, errors=errors), 422
    version = whole_number(form.version.data)
    try:
        operations.save(
            funding_request,
            request_data(form, grid),
            actor=current_user,
            expected_version=version,
            confirm_drop=_confirmed_drop(),
        )
        upload_error = _receive_attachment(funding_request, form)
        db.session.commit()
    except operations.PeriodDropsFigures as warning:
        db.session.rollback()
        return _render_form(
            _load(request_id),
            form,
            grid,
            errors={"confirm_drop": _dropped_message(warning.dropped)},
            dropped=warning.dropped,
        ), 422
    except operations.ConcurrentChange:
        db.session.rollback()
        flash(
            _(
                "Quelqu'un d'autre a modifié cette demande pendant que vous la remplissiez. Vos valeurs sont "
                "toujours dans le formulaire : vérifiez la version enregistrée puis enregistrez de nouveau."
            ),
            "error",
        )
        fresh = _load(request_id)
        form.version.data = str(fresh.version)
        return _render_form(fresh, form, grid), 409
    if upload_error:
        db.session.refresh(funding_request)
        form.version.data = str(funding_request.version)
        return _render_form(funding_request, form, grid, errors={"attachment": upload_error}), 422
    if action == "submit":
        return _submit(funding_request, form, grid)
    if action == "provide_info":
        return _provide_info(funding_request, form, grid)
    flash(_("Le brouillon est enregistré."), "success")
    return redirect(url_for("requests.edit", request_id=request_id))


def _receive_attachment(funding_request: FundingRequest, form: RequestForm) -> str | None:
    """Attach every file chosen in the field; each refused one is named with its reason."""
    uploads = [upload for upload in request.files.getlist("attachment") if upload and upload.filename]
    if not uploads:
        return None
    kind = (
        form.attachment_kind.data
        if form.attachment_kind.data in {k.value for k in AttachmentKind}
        else "other"
    )
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
        operations.add_attachment(funding_request, AttachmentKind(kind), accepted, actor=current_user)
    if not refusals:
        return None
    return " ".join(refusals) + " " + _("Le reste du formulaire est enregistré.")


def _submit(funding_request: FundingRequest, form: RequestForm, grid: Any) -> Any:
    try:
        submitted, now = operations.submit(funding_request.id, actor=current_user)
        db.session.commit()
    except operations.SubmissionIncomplete as incomplete:
        db.session.rollback()
        funding_request = _load(funding_request.id)
        form.version.data = str(funding_request.version)
        errors: dict[str, str] = {}
        for name, message in incomplete.problems:
            errors[name] = (errors.get(name, "") + " " + message).strip()
        flash(_("Le brouillon est enregistré, mais la demande ne peut pas encore être déposée."), "error")
        return _render_form(funding_request, form, grid, errors=errors), 422
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


def _provide_info(funding_request: FundingRequest, form: RequestForm, grid: Any) -> Any:
    answer = (form.answer.data or "").strip()
    if not answer:
        return _render_form(
            funding_request, form, grid, errors={"answer": _("Écrivez votre réponse à l'agent·e.")}
        ), 422
    try:
        operations.provide_info(funding_request, answer, actor=current_user)
        db.session.commit()
    except (TransitionRefused, operations.NotEditable):
        db.session.rollback()
        flash(_("Cette demande n'attend plus de réponse de votre part."), "error")
        return redirect(url_for("requests.show", request_id=funding_request.id))
    flash(_("Votre réponse est transmise à l'agent·e responsable."), "success")
    return redirect(url_for("requests.show", request_id=funding_request.id))


def _dropped_message(dropped: list[operations.DroppedYear]) -> str:
    """What a shorter period would delete, year by year, the Quebec way."""
    from grants.core.formatting import money

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
    grid: Any,
    *,
    errors: dict | None = None,
    dropped: list | None = None,
) -> Any:
    errors = errors or {}
    for name, message in errors.items():
        if name in form._fields and not form[name].errors:
            form[name].errors = [message]
    years = _years_for(form, funding_request)
    # Saved years outside the new period keep their column while it still holds typed figures.
    outside = {d.fiscal_year for d in dropped or []} | {
        year
        for year in funding_request.fiscal_years
        if year not in years
        and any(
            value.strip()
            for name, value in grid.raw.items()
            if name == f"amount-{year.start_year}" or name.startswith(f"budget-{year.start_year}-")
        )
    }
    years = sorted(set(years) | outside)
    return render_template(
        "requests/edit.html",
        funding_request=funding_request,
        form=form,
        grid=grid,
        errors=errors,
        years=years,
        categories=list(BudgetCategory),
        funding_rows=max(grid.funding_rows, 0) + BLANK_FUNDING_ROWS,
        open_sections=operations.open_sections(funding_request),
        sections=RequestSection,
        info=funding_request.open_info_request,
        dropped=dropped or [],
        dropped_years=outside,
    )


@blueprint.post("/<int:request_id>/pieces/<int:attachment_id>/retirer")
def remove_attachment(request_id: int, attachment_id: int) -> Any:
    funding_request = _load(request_id, rule=permissions.can_edit_request)
    attachment = db.session.get(RequestAttachment, attachment_id)
    permissions.ensure(attachment is not None and attachment.request_id == funding_request.id)
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
    funding_request = _load(request_id)
    found = db.session.get(RequestAttachment, attachment_id)
    permissions.ensure(found is not None and found.request_id == funding_request.id)
    return download(found.file)


@blueprint.get("/<int:request_id>/accuse-de-reception.pdf")
def acknowledgement(request_id: int) -> Any:
    funding_request = _load(request_id)
    permissions.ensure(funding_request.acknowledgement is not None)
    return download(funding_request.acknowledgement)


@blueprint.route("/<int:request_id>/retirer", methods=["GET", "POST"])
def withdraw(request_id: int) -> Any:
    funding_request = _load(request_id, rule=permissions.can_edit_request)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            operations.withdraw(funding_request, actor=current_user, reason=form.reason.data or "")
            db.session.commit()
        except (TransitionRefused, operations.ConcurrentChange) as error:
            db.session.rollback()
            flash(getattr(error, "message", _("Cette demande a changé entre-temps.")), "error")
            return redirect(url_for("requests.show", request_id=request_id))
        flash(_("La demande %(ref)s est retirée.", ref=funding_request.reference), "success")
        return redirect(url_for("requests.index"))
    return render_template("requests/withdraw.html", funding_request=funding_request, form=form)
