"""Agreement pages: the list, an agreement with its versions and PDFs (and the sections other
packages add: amounts, indexation, schedule), acceptance by the organization's signatory,
countersignature by the ministry, and amendments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from grants.agreements import operations, signals
from grants.agreements.envelopes import EnvelopeExceeded
from grants.agreements.forms import AcceptForm, AmendmentForm, CountersignForm
from grants.agreements.models import Agreement, AgreementVersion
from grants.agreements.obligations import ReportKind, StatementType, agreement_statement, reports_of
from grants.agreements.workflow import AgreementTransitionRefused
from grants.core import permissions
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.fields import attach_errors
from grants.core.listing import csv_response
from grants.core.templating import label_filters
from grants.files.sniffing import UploadRefused, check_upload
from grants.files.storage import download
from grants.fiscal import FiscalYear

blueprint = Blueprint("agreements", __name__, url_prefix="/conventions")


label_filters(blueprint, statement_label=StatementType, report_kind_label=ReportKind)


def _load(agreement_id: int) -> Agreement:
    """The one place an agreement is loaded: 404 unless the user may see its file."""
    agreement = db.session.get(Agreement, agreement_id)
    permissions.ensure(permissions.can_read_agreement(current_user, agreement))
    return agreement  # type: ignore[return-value]


def _back(agreement: Agreement) -> Any:
    return redirect(url_for("agreements.show", agreement_id=agreement.id))


def _refused(agreement: Agreement, message: str) -> Any:
    """A move the workflow refused, or a change made meanwhile: say why, show the current state."""
    db.session.rollback()
    flash(message, "error")
    return _back(agreement), 303


@blueprint.get("/")
def index() -> Any:
    statement = db.select(Agreement).options(
        selectinload(Agreement.years), selectinload(Agreement.organization)
    )
    if permissions.is_staff(current_user):
        statement = statement.where(permissions.program_filter(current_user, Agreement.program_id))
    else:
        statement = statement.where(Agreement.organization_id.in_(current_user.organization_ids()))
    statement = statement.order_by(Agreement.created_at.desc())
    if request.args.get("format") == "csv":
        return csv_response(
            "conventions.csv",
            [_("Numéro"), _("Organisme"), _("Programme"), _("Début"), _("Fin"), _("État"), _("Total")],
            list(db.session.scalars(statement.options(selectinload(Agreement.program)))),
            lambda a: [
                a.number,
                a.organization.legal_name,
                a.program.code,
                a.start_date,
                a.end_date,
                a.status_label,
                a.total,
            ],
        )
    page = db.paginate(statement, per_page=50, error_out=False)
    return render_template("agreements/index.html", page=page)


def _render(
    agreement: Agreement,
    *,
    accept_form: AcceptForm | None = None,
    status: int = 200,
    errors: dict | None = None,
) -> Any:
    sections = signals.collect(signals.agreement_page, agreement, user=current_user)
    accept_form = accept_form or AcceptForm(prefix="accept", version=agreement.version)
    attach_errors(accept_form, errors or {})
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        version=agreement.current,
        accept_form=accept_form,
        countersign_form=CountersignForm(formdata=None, version=agreement.version),
        sections=sorted((s for found in sections for s in found), key=lambda s: s.order),
        reports=reports_of(agreement),
        statements={y.fiscal_year: agreement_statement(agreement, y.fiscal_year) for y in agreement.years},
        can_sign=permissions.can_sign_agreement_now(current_user, agreement),
        can_countersign=permissions.can_countersign_now(current_user, agreement),
        can_amend=permissions.can_amend_agreement(current_user, agreement),
        errors=errors or {},
    ), status


@blueprint.get("/<int:agreement_id>")
def show(agreement_id: int) -> Any:
    return _render(_load(agreement_id))


def _version(agreement: Agreement, number: int) -> AgreementVersion | None:
    return next((v for v in agreement.versions if v.number == number), None)


@blueprint.get("/<int:agreement_id>/versions/<int:number>.pdf")
def pdf(agreement_id: int, number: int) -> Any:
    version = permissions.found(_version(_load(agreement_id), number))
    return download(permissions.found(version.pdf), inline=True)


@blueprint.get("/<int:agreement_id>/versions/<int:number>/signee.pdf")
def signed_pdf(agreement_id: int, number: int) -> Any:
    version = permissions.found(_version(_load(agreement_id), number))
    return download(permissions.found(version.signed_file))


@blueprint.post("/<int:agreement_id>/accepter")
def accept(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_sign_agreement(current_user, agreement))
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
            expected_version=form.version.data,
        )
        db.session.commit()
    except (AgreementTransitionRefused, ConcurrentChange) as refusal:
        return _refused(agreement, refusal.message)
    flash(_("La convention est acceptée. Le ministère la contresignera."), "success")
    return _back(agreement)


@blueprint.post("/<int:agreement_id>/contresigner")
def countersign(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_countersign(current_user, agreement))
    form = CountersignForm()
    if not form.validate():
        return _refused(agreement, _("Le formulaire a expiré. Envoyez-le de nouveau."))
    try:
        operations.countersign(
            agreement, agreement.current, actor=current_user, expected_version=form.version.data
        )
        db.session.commit()
    except (AgreementTransitionRefused, ConcurrentChange) as refusal:
        return _refused(agreement, refusal.message)
    flash(_("La convention est contresignée : elle est en vigueur."), "success")
    return _back(agreement)


@blueprint.route("/<int:agreement_id>/avenant", methods=["GET", "POST"])
def amend(agreement_id: int) -> Any:
    agreement = _load(agreement_id)
    permissions.ensure(permissions.can_amend_agreement(current_user, agreement))
    if request.method == "GET":
        form = AmendmentForm(
            formdata=None,
            version=agreement.version,
            end_date=agreement.end_date,
            conditions=agreement.conditions,
            amounts=[
                {"fiscal_year": str(y.fiscal_year.start_year), "amount": y.amount} for y in agreement.years
            ],
        )
        return _render_amendment(agreement, form, {}, status=200)
    form = AmendmentForm()
    form.validate()
    errors = {name: " ".join(map(str, found)) for name, found in form.errors.items() if name != "amounts"}
    if form.end_date.data and form.end_date.data < agreement.start_date:
        errors["end_date"] = _("La date de fin doit suivre le début de la convention.")
    years = _amendment_years(agreement, form.end_date.data)
    if not errors and not any(row.form.amount.errors for _, row in form.rows_for(years)):
        try:
            version = operations.amend(
                agreement,
                amounts=form.amounts_by_year(years),
                end_date=form.end_date.data,
                conditions=form.conditions.data or "",
                reason=form.reason.data,
                actor=current_user,
                override_reason=form.override_reason.data or "",
                expected_version=form.version.data,
            )
            db.session.commit()
        except operations.AmendmentInvalid as invalid:
            db.session.rollback()
            errors.update(invalid.errors)
        except EnvelopeExceeded as exceeded:
            db.session.rollback()
            errors["override_reason"] = exceeded.message
        except ConcurrentChange as change:
            db.session.rollback()
            errors["version"] = change.message
        else:
            flash(_("L'avenant n° %(n)s est envoyé à l'organisme.", n=version.number - 1), "success")
            return _back(agreement)
    return _render_amendment(_load(agreement_id), form, errors, status=422)


def _render_amendment(
    agreement: Agreement, form: AmendmentForm, errors: dict[str, str], *, status: int
) -> Any:
    """The amendment page: one row per fiscal year of the (new) period, each with its message;
    the summary links every message to its field."""
    rows = form.rows_for(_amendment_years(agreement, form.end_date.data))
    summary: dict[str, str] = {}
    for year, row in rows:
        amount = row.form.amount
        message = errors.pop(operations.amount_field(year), None)
        if message:
            amount.errors = [*amount.errors, message]
        if amount.errors:
            summary[amount.id] = " ".join(map(str, amount.errors))
    return render_template(
        "agreements/amend.html", agreement=agreement, form=form, rows=rows, errors=errors | summary
    ), status


def _amendment_years(agreement: Agreement, end_date: Any) -> list[FiscalYear]:
    end = end_date if end_date and end_date >= agreement.start_date else agreement.end_date
    return FiscalYear.spanning(agreement.start_date, end)


@blueprint.app_template_global("version_of")
def version_of(agreement: Agreement, number: int) -> AgreementVersion | None:
    return _version(agreement, number)
