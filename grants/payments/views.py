"""Payment pages: the payment list (filters, sorting, pagination, CSV), an action on one
installment, a year's schedule edit, the envelope position of a program per fiscal year, and the
amounts and schedule sections of the agreement page (on `signals.agreement_page`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from grants.agreements import signals
from grants.agreements.models import Agreement
from grants.core import clock, permissions
from grants.core.audit import values_of
from grants.core.clock import current_fiscal_year
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.listing import csv_response, paginate_rows
from grants.core.templating import label_filters
from grants.fiscal import FiscalYear
from grants.payments import operations
from grants.payments.forms import InstallmentActionForm, ScheduleForm
from grants.payments.models import Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.queries import (
    PAYMENT_SORT,
    PaymentFilters,
    agreement_totals,
    payments_statement,
    program_totals,
    schedule_of,
)
from grants.payments.workflow import (
    COMMITTED_STATUSES,
    INSTALLMENTS,
    InstallmentEvent,
    InstallmentTransitionRefused,
    ReportNotAccepted,
)
from grants.programs.models import Program
from grants.programs.queries import program_by_code

blueprint = Blueprint("payments", __name__, url_prefix="/versements")

BLANK_ROWS = 2
"""Empty lines the schedule grid offers for new installments."""


label_filters(blueprint, trigger_label=InstallmentTrigger, installment_status_label=InstallmentStatus)


def offered_events(installment: Installment) -> tuple[list[InstallmentEvent], list[str]]:
    """The buttons an installment offers: the moves its workflow allows now (authorizing and paying
    only under an agreement in force, and once the report that releases the installment is
    accepted); cancelling is done by editing the schedule. Also answers why a move that waits for
    a report is not offered (the refusal's own words)."""
    offered, waiting = [], []
    for event in INSTALLMENTS.allowed_events(installment.status):
        if event is InstallmentEvent.CANCEL:
            continue
        try:
            INSTALLMENTS.check(installment, event)
        except ReportNotAccepted as refusal:
            waiting.append(refusal.message)
        except InstallmentTransitionRefused:
            continue
        else:
            offered.append(event)
    return offered, waiting


@signals.agreement_page.connect
def agreement_sections(agreement: Agreement, *, user: Any, **_: Any) -> list[signals.PageSection]:
    """The agreement page's amounts by fiscal year and payment schedule (with the officer's actions)."""
    totals = agreement_totals(agreement.id)
    can_manage = permissions.can_edit_schedule(user, agreement)
    rows = [
        (installment, *(offered_events(installment) if permissions.can_pay(user, installment) else ([], [])))
        for installment in schedule_of(agreement.id)
    ]
    # An action refused for what was typed (see act()) comes back tied to its input, once.
    refused = session.pop(_REFUSED_KEY, None)
    return [
        signals.PageSection(10, Markup(render_template("payments/_agreement_totals.html", totals=totals))),
        signals.PageSection(
            30,
            Markup(
                render_template(
                    "payments/_agreement_schedule.html",
                    agreement=agreement,
                    rows=rows,
                    totals=totals,
                    can_manage=can_manage,
                    refused=refused if isinstance(refused, dict) else None,
                )
            ),
        ),
    ]


@blueprint.get("/")
def index() -> Any:
    filters = PaymentFilters.from_args(request.args)
    if permissions.is_staff(current_user):
        statement = payments_statement(permissions.visible_program_ids(current_user), filters)
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
    programs_query = (
        db.select(Program).where(permissions.program_filter(current_user, Program.id)).order_by(Program.code)
    )
    return render_template(
        "payments/index.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=PAYMENT_SORT.current(),
        programs=db.session.scalars(programs_query).all() if permissions.is_staff(current_user) else [],
        statuses=[s for s in InstallmentStatus if s is not InstallmentStatus.CANCELLED],
        years=[current_fiscal_year() + offset for offset in range(-3, 5)],
    )


@blueprint.post("/<int:installment_id>/action")
def act(installment_id: int) -> Any:
    installment = db.session.get(Installment, installment_id)
    permissions.ensure(permissions.can_pay(current_user, installment))
    form = InstallmentActionForm()
    back = url_for("agreements.show", agreement_id=installment.agreement_id) + "#versements"
    event = next((e for e in InstallmentEvent if e.value == form.event.data), None)
    permissions.ensure(event is not None)
    if not form.validate():
        field = next((name for name in ("reason", "payment_reference") if form[name].errors), None)
        message = " ".join(str(m) for name in form.errors for m in form[name].errors)
        return _refused(back, installment, event, field, message, form)
    if event.needs_reason and not (form.reason.data or "").strip():
        message = _("Donnez le motif de la retenue : l'organisme le recevra.")
        return _refused(back, installment, event, "reason", message, form)
    try:
        operations.apply_event(
            installment,
            event,
            actor=current_user,
            expected_version=form.version.data,
            reason=form.reason.data or "",
            paid_on=form.paid_on.data or clock.today(),
            payment_reference=form.payment_reference.data or "",
        )
        db.session.commit()
    except (InstallmentTransitionRefused, ConcurrentChange) as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(back)
    flash(_("Le versement est à l'état « %(status)s ».", status=installment.status_label), "success")
    return redirect(back)


_REFUSED_KEY = "installment_refused"
_INPUT_IDS = {"reason": "reason-{}", "payment_reference": "ref-{}"}


def _refused(
    back: str,
    installment: Installment,
    event: InstallmentEvent,
    field: str | None,
    message: str,
    form: InstallmentActionForm,
) -> Any:
    """Back to the agreement page, where the installment's input shows the message beside it (tied
    by aria-describedby) and keeps what was typed; a problem with no input of its own is flashed."""
    if field is None:
        flash(message, "error")
        return redirect(back)
    session[_REFUSED_KEY] = {
        "installment": installment.id,
        "event": event.value,
        "input": _INPUT_IDS[field].format(installment.id),
        "message": str(message),
        "typed": str(form[field].data or "")[:2000],
    }
    return redirect(back)


@blueprint.route("/conventions/<int:agreement_id>/<year>", methods=["GET", "POST"])
def edit_schedule(agreement_id: int, year: str) -> Any:
    agreement = db.session.get(Agreement, agreement_id)
    permissions.ensure(agreement is not None and permissions.can_edit_schedule(current_user, agreement))
    fiscal_year = _fiscal_year(year)
    permissions.ensure(fiscal_year is not None and agreement.year(fiscal_year) is not None)
    installments = operations.installments_of(agreement.id, fiscal_year)
    editable = [i for i in installments if i.is_adjustable]
    if request.method == "GET":
        form = ScheduleForm(formdata=None, rows=[_row_data(i) for i in editable] + [{}] * BLANK_ROWS)
        return _render_schedule(agreement, fiscal_year, installments, form, {})
    form = ScheduleForm()
    errors = _grid_errors(form)
    if not errors:
        rows = [
            operations.ScheduleRow(
                row.form.installment_id.data,
                row.form.amount.data,
                InstallmentTrigger(row.form.trigger.data),
                row.form.planned_date.data,
            )
            for row in form.rows
            if row.form.amount.data is not None
        ]
        try:
            operations.edit_year_schedule(agreement, fiscal_year, rows, actor=current_user)
            db.session.commit()
        except (operations.ScheduleError, ConcurrentChange) as refusal:
            db.session.rollback()
            errors["schedule"] = str(refusal.message)
        else:
            flash(_("Le calendrier %(year)s est enregistré.", year=str(fiscal_year)), "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id) + "#versements")
    return _render_schedule(agreement, fiscal_year, installments, form, errors)


def _fiscal_year(text: str) -> FiscalYear | None:
    try:
        return FiscalYear.parse(text)
    except ValueError:
        return None


def _row_data(installment: Installment) -> dict[str, Any]:
    return {"installment_id": installment.id, **values_of(installment, "amount", "trigger", "planned_date")}


def _grid_errors(form: ScheduleForm) -> dict[str, str]:
    """What the grid says is wrong, one message per line (the CSRF token first)."""
    errors: dict[str, str] = {}
    if not form.validate() and form.csrf_token.errors:
        errors["csrf_token"] = _("Le formulaire a expiré. Envoyez-le de nouveau.")
    for number, row in enumerate(form.rows, start=1):
        found = [str(message) for field in row.form for message in field.errors]
        if found:
            # The summary links to the row's first refused input (its message is beside it).
            first = next(field for field in row.form if field.errors)
            errors[first.id] = _("Ligne %(line)s : %(reason)s", line=number, reason=" ".join(found))
    return errors


def _render_schedule(
    agreement: Agreement,
    fiscal_year: FiscalYear,
    installments: list[Installment],
    form: ScheduleForm,
    errors: dict[str, str],
) -> Any:
    return render_template(
        "payments/schedule.html",
        agreement=agreement,
        fiscal_year=fiscal_year,
        year_amount=agreement.year(fiscal_year).amount,
        fixed=[i for i in installments if i.status in COMMITTED_STATUSES],
        form=form,
        errors=errors,
    ), 422 if errors else 200


@blueprint.get("/programmes/<code>")
def program(code: str) -> Any:
    found = permissions.permitted(program_by_code(code), permissions.can_see_program_payments)
    return render_template("payments/program.html", program=found, totals=program_totals(found.id))
