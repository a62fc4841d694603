"""Payment pages: the payment list (filters, sorting, pagination, CSV), an action on one
installment, a year's schedule edit, and the envelope position of a program per fiscal year."""

from __future__ import annotations

from datetime import date
from decimal import InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.agreements.models import Agreement
from grants.core import permissions
from grants.core.db import db
from grants.core.fields import parse_amount
from grants.core.inputs import whole_number
from grants.core.listing import csv_response, paginate_rows
from grants.fiscal import FiscalYear
from grants.payments import operations
from grants.payments.forms import InstallmentActionForm
from grants.payments.models import Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.queries import PAYMENT_SORT, PaymentFilters, payments_statement, program_totals
from grants.payments.workflow import InstallmentEvent, InstallmentTransitionRefused
from grants.programs.models import Program

blueprint = Blueprint("payments", __name__, url_prefix="/versements")


@blueprint.app_template_filter("trigger_label")
def _trigger_label(value: str) -> str:
    return InstallmentTrigger(value).label


@blueprint.app_template_filter("installment_events")
def _installment_events(status: str) -> list[InstallmentEvent]:
    from grants.payments.workflow import allowed_events

    return [e for e in allowed_events(status) if e is not InstallmentEvent.CANCEL]


@blueprint.app_template_filter("installment_status_label")
def _status_label(value: str) -> str:
    return InstallmentStatus(value).label


def _program_ids() -> set[int] | None:
    if permissions.is_admin(current_user) or permissions.can_supervise_funding(current_user):
        return None
    return current_user.officer_program_ids()


@blueprint.get("/")
def index() -> Any:
    filters = PaymentFilters.from_args(request.args)
    if permissions.is_staff(current_user):
        statement = payments_statement(_program_ids(), filters)
    else:
        statement = payments_statement(None, filters, organization_ids=current_user.organization_ids())
    statement = PAYMENT_SORT.apply(statement)
    if request.args.get("format") == "csv":
        header = [
            _("Convention"),
            _("Organisme"),
            _("Programme"),
            _("Exercice"),
            _("N°"),
            _("Condition"),
            _("Date prévue"),
            _("État"),
            _("Montant"),
            _("Versé le"),
            _("Motif de retenue"),
        ]
        return csv_response(
            "versements.csv",
            header,
            db.session.execute(statement).yield_per(1000),
            lambda r: [
                r.agreement_number,
                r.organization,
                r.program,
                r.fiscal_year,
                r.sequence,
                InstallmentTrigger(r.trigger).label,
                r.planned_date,
                InstallmentStatus(r.status).label,
                r.amount,
                r.paid_on,
                r.hold_reason,
            ],
        )
    program_ids = _program_ids()
    programs_query = db.select(Program).order_by(Program.code)
    if program_ids is not None:
        programs_query = programs_query.where(Program.id.in_(program_ids))
    return render_template(
        "payments/index.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=PAYMENT_SORT.current(),
        programs=db.session.scalars(programs_query).all() if permissions.is_staff(current_user) else [],
        statuses=[s for s in InstallmentStatus if s is not InstallmentStatus.CANCELLED],
        years=[FiscalYear.current() + offset for offset in range(-3, 5)],
    )


def _load_installment(installment_id: int) -> Installment:
    installment = db.session.get(Installment, installment_id)
    permissions.ensure(
        installment is not None and permissions.can_manage_program(current_user, installment.program_id)
    )
    return installment  # type: ignore[return-value]


@blueprint.post("/<int:installment_id>/action")
def act(installment_id: int) -> Any:
    installment = _load_installment(installment_id)
    form = InstallmentActionForm()
    back = url_for("agreements.show", agreement_id=installment.agreement_id) + "#versements"
    if not form.validate():
        flash(_("Le formulaire a expiré. Envoyez-le de nouveau."), "error")
        return redirect(back)
    try:
        event = InstallmentEvent(form.event.data)
    except ValueError:
        permissions.ensure(False)
    if event is InstallmentEvent.HOLD and not (form.reason.data or "").strip():
        flash(_("Donnez le motif de la retenue : l'organisme le recevra."), "error")
        return redirect(back)
    try:
        operations.apply_event(
            installment,
            event,
            actor=current_user,
            expected_version=whole_number(form.version.data),
            reason=form.reason.data or "",
            paid_on=form.paid_on.data or date.today(),
            payment_reference=form.payment_reference.data or "",
        )
        db.session.commit()
    except InstallmentTransitionRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    except operations.ConcurrentChange:
        db.session.rollback()
        flash(_("Ce versement a changé entre-temps : vérifiez son état avant d'agir."), "error")
        return redirect(back)
    flash(
        _("Le versement est à l'état « %(status)s ».", status=InstallmentStatus(installment.status).label),
        "success",
    )
    return redirect(back)


@blueprint.route("/conventions/<int:agreement_id>/<year>", methods=["GET", "POST"])
def edit_schedule(agreement_id: int, year: str) -> Any:
    agreement = db.session.get(Agreement, agreement_id)
    permissions.ensure(
        agreement is not None and permissions.can_manage_program(current_user, agreement.program_id)
    )
    try:
        fiscal_year = FiscalYear.parse(year)
    except ValueError:
        permissions.ensure(False)
    permissions.ensure(agreement.year(fiscal_year) is not None)
    installments = operations.installments_of(agreement.id, fiscal_year)
    editable = [i for i in installments if i.status in operations.ADJUSTABLE]
    fixed = [i for i in installments if i not in editable and i.status != InstallmentStatus.CANCELLED]
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        rows = []
        count = min(whole_number(request.form.get("rows")) or 0, 20)
        for index in range(count):
            prefix = f"row-{index}-"
            for key in ("id", "amount", "trigger", "date"):
                raw[prefix + key] = request.form.get(prefix + key, "")
            if not raw[prefix + "amount"].strip():
                continue
            try:
                amount = parse_amount(raw[prefix + "amount"])
                planned = date.fromisoformat(raw[prefix + "date"]) if raw[prefix + "date"].strip() else None
                trigger = InstallmentTrigger(raw[prefix + "trigger"])
            except (InvalidOperation, ValueError):
                errors[prefix + "amount"] = _(
                    "Ligne %(n)s : montant, condition ou date invalide (AAAA-MM-JJ).", n=index + 1
                )
                continue
            installment_id = whole_number(raw[prefix + "id"])
            rows.append(operations.ScheduleRow(installment_id, amount, trigger, planned))
        if not errors:
            try:
                operations.edit_year_schedule(agreement, fiscal_year, rows, actor=current_user)
                db.session.commit()
                flash(_("Le calendrier %(year)s est enregistré.", year=str(fiscal_year)), "success")
                return redirect(url_for("agreements.show", agreement_id=agreement.id) + "#versements")
            except operations.ScheduleError as error:
                db.session.rollback()
                errors["schedule"] = str(error.message)
            except operations.ConcurrentChange:
                db.session.rollback()
                errors["schedule"] = _("Ce calendrier a changé entre-temps : rechargez la page.")
    else:
        for index, installment in enumerate(editable):
            prefix = f"row-{index}-"
            raw.update(
                {
                    prefix + "id": str(installment.id),
                    prefix + "amount": f"{installment.amount:.2f}".replace(".", ","),
                    prefix + "trigger": installment.trigger,
                    prefix + "date": installment.planned_date.isoformat() if installment.planned_date else "",
                }
            )
    return render_template(
        "payments/schedule.html",
        agreement=agreement,
        fiscal_year=fiscal_year,
        fixed=fixed,
        row_count=max(len(editable), 1) + 2,
        raw=raw,
        errors=errors,
        triggers=list(InstallmentTrigger),
    ), 422 if errors else 200


@blueprint.get("/programmes/<code>")
def program(code: str) -> Any:
    found = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(
        found is not None
        and (
            permissions.can_manage_program(current_user, found.id)
            or permissions.can_supervise_funding(current_user)
        )
    )
    return render_template("payments/program.html", program=found, totals=program_totals(found.id))
