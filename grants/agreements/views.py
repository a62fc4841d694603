"""Agreement pages: the list, an agreement with its versions, PDFs and schedule, acceptance by the
organization's signatory, countersignature by the ministry, and amendments."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from grants.agreements import operations
from grants.agreements.forms import AcceptForm, AmendmentForm
from grants.agreements.models import Agreement, AgreementStatus, AgreementVersion
from grants.agreements.obligations import StatementType
from grants.agreements.workflow import AgreementTransitionRefused
from grants.core import permissions
from grants.core.db import db
from grants.core.fields import parse_amount
from grants.core.inputs import whole_number
from grants.files.sniffing import UploadRefused, check_upload
from grants.files.storage import download
from grants.fiscal import FiscalYear
from grants.payments.envelopes import EnvelopeExceeded
from grants.payments.queries import agreement_totals

blueprint = Blueprint("agreements", __name__, url_prefix="/conventions")


@blueprint.app_template_filter("statement_label")
def _statement_label(value: str) -> str:
    return StatementType(value).label


def _load(agreement_id: int) -> Agreement:
    """The one place an agreement is loaded: 404 unless the user may see its file."""
    agreement = db.session.get(Agreement, agreement_id)
    permissions.ensure(
        agreement is not None
        and permissions.can_read_funding_file(current_user, agreement.organization_id, agreement.program_id)
    )
    return agreement  # type: ignore[return-value]


@blueprint.get("/")
def index() -> Any:
    statement = db.select(Agreement).options(
        selectinload(Agreement.years), selectinload(Agreement.organization)
    )
    if permissions.is_staff(current_user):
        if not (permissions.is_admin(current_user) or permissions.can_supervise_funding(current_user)):
            statement = statement.where(Agreement.program_id.in_(current_user.officer_program_ids()))
    else:
        statement = statement.where(Agreement.organization_id.in_(current_user.organization_ids()))
    page = db.paginate(statement.order_by(Agreement.created_at.desc()), per_page=50, error_out=False)
    return render_template("agreements/index.html", page=page)


def _render(
    agreement: Agreement,
    *,
    accept_form: AcceptForm | None = None,
    status: int = 200,
    errors: dict | None = None,
) -> Any:
    from grants.indexation.operations import applied_lines_of
    from grants.payments.operations import installments_of

    version = agreement.current
    form = accept_form or AcceptForm(prefix="accept")
    if not form.is_submitted():
        form.version.data = str(agreement.version)
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        version=version,
        accept_form=form,
        installments=installments_of(agreement.id),
        indexations=applied_lines_of(agreement.id),
        totals=agreement_totals(agreement.id),
        can_sign=permissions.can_sign_for_organization(current_user, agreement.organization_id)
        and version.status == AgreementStatus.SENT,
        can_countersign=permissions.can_manage_program(current_user, agreement.program_id)
        and version.status == AgreementStatus.ACCEPTED,
        can_manage=permissions.can_manage_program(current_user, agreement.program_id),
        errors=errors or {},
    ), status


@blueprint.get("/<int:agreement_id>")
def show(agreement_id: int) -> Any:
    return _render(_load(agreement_id))


@blueprint.get("/<int:agreement_id>/versions/<int:number>.pdf")
def pdf(agreement_id: int, number: int) -> Any:
    agreement = _load(agreement_id)
    version = next((v for v in agreement.versions if v.number == number), None)
    permissions.ensure(version is not None and version.pdf is not None)
    return download(version.pdf, inline=True)


@blueprint.get("/<int:agreement_id>/versions/<int:number>/signee.pdf")
def signed_pdf(agreement_id: int, number: int) -> Any:
    agreement = _load(agreement_id)
    version = next((v for v in agreement.versions if v.number == number), None)
    permissions.ensure(version is not None and version.signed_file is not None)
    return download(version.signed_file)


@blueprint.post("/<int:agreement_id>/accepter")
def accept(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_sign_for_organization(current_user, agreement.organization_id))
    form = AcceptForm(prefix="accept")
    errors: dict[str, str] = {}
    signed = None
    upload = request.files.get("accept-signed_file")
    if form.validate():
        if upload is not None and upload.filename:
            try:
                signed = check_upload(
                    upload.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1),
                    upload.filename,
                    max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
                )
            except UploadRefused as refusal:
                errors["accept-signed_file"] = str(refusal.message)
        elif not form.agree.data:
            errors["accept-agree"] = _("Cochez la case d'acceptation, ou déposez la convention signée.")
    else:
        errors.update({f"accept-{k}": " ".join(map(str, v)) for k, v in form.errors.items()})
    if errors:
        return _render(agreement, accept_form=form, status=422, errors=errors)
    try:
        operations.accept(
            agreement,
            agreement.current,
            actor=current_user,
            signatory_name=form.signatory_name.data,
            signatory_title=form.signatory_title.data,
            ip_address=request.remote_addr,
            signed_file=signed,
            expected_version=whole_number(form.version.data),
        )
        db.session.commit()
    except AgreementTransitionRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id)), 303
    except operations.ConcurrentChange:
        db.session.rollback()
        flash(_("Cette convention a changé entre-temps : relisez-la avant de l'accepter."), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id)), 303
    flash(_("La convention est acceptée. Le ministère la contresignera."), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


@blueprint.post("/<int:agreement_id>/contresigner")
def countersign(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_manage_program(current_user, agreement.program_id))
    from flask_wtf.csrf import validate_csrf

    validate_csrf(request.form.get("csrf_token"))
    version_field = request.form.get("version", "")
    try:
        operations.countersign(
            agreement,
            agreement.current,
            actor=current_user,
            expected_version=whole_number(version_field),
        )
        db.session.commit()
    except AgreementTransitionRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id)), 303
    except operations.ConcurrentChange:
        db.session.rollback()
        flash(_("Cette convention a changé entre-temps : vérifiez-la avant de la contresigner."), "error")
        return redirect(url_for("agreements.show", agreement_id=agreement_id)), 303
    flash(_("La convention est contresignée : elle est en vigueur."), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement_id))


@blueprint.route("/<int:agreement_id>/avenant", methods=["GET", "POST"])
def amend(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_manage_program(current_user, agreement.program_id))
    form = AmendmentForm()
    years = _amendment_years(agreement, form.end_date.data if form.is_submitted() else None)
    raw = {f"amount-{y.start_year}": request.form.get(f"amount-{y.start_year}", "") for y in years}
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.end_date.data, form.conditions.data = agreement.end_date, agreement.conditions
        form.version.data = str(agreement.version)
        raw = {
            f"amount-{y.fiscal_year.start_year}": f"{y.amount:.2f}".replace(".", ",") for y in agreement.years
        }
    elif form.validate():
        amounts = {}
        for year in years:
            text = raw[f"amount-{year.start_year}"].strip()
            try:
                amounts[year] = parse_amount(text) if text else parse_amount("0")
            except InvalidOperation:
                errors[f"amount-{year.start_year}"] = _(
                    "Entrez un montant en dollars, par exemple 175 000,00."
                )
        if form.end_date.data < agreement.start_date:
            errors["end_date"] = _("La date de fin doit suivre le début de la convention.")
        if not errors:
            try:
                version = operations.amend(
                    agreement,
                    amounts=amounts,
                    end_date=form.end_date.data,
                    conditions=form.conditions.data or "",
                    reason=form.reason.data,
                    actor=current_user,
                    override_reason=form.override_reason.data or "",
                    expected_version=whole_number(form.version.data),
                )
                db.session.commit()
            except EnvelopeExceeded as exceeded:
                db.session.rollback()
                errors["override_reason"] = exceeded.message
            except operations.ConcurrentChange:
                db.session.rollback()
                errors["version"] = _("Cette convention a changé entre-temps : rechargez la page.")
            else:
                flash(_("L'avenant n° %(n)s est envoyé à l'organisme.", n=version.number - 1), "success")
                return redirect(url_for("agreements.show", agreement_id=agreement_id))
    else:
        errors.update({k: " ".join(map(str, v)) for k, v in form.errors.items()})
    return render_template(
        "agreements/amend.html", agreement=_load(agreement_id), form=form, years=years, raw=raw, errors=errors
    ), 422 if request.method == "POST" else 200


def _amendment_years(agreement: Agreement, end_date: Any) -> list[FiscalYear]:
    end = end_date if end_date and end_date >= agreement.start_date else agreement.end_date
    return FiscalYear.spanning(agreement.start_date, end)


@blueprint.app_template_global("version_of")
def version_of(agreement: Agreement, number: int) -> AgreementVersion | None:
    return next((v for v in agreement.versions if v.number == number), None)
