"""Accountability pages. The organization's side (`/redditions/`): its reports with their due dates,
each report's overview (sections with their completion, the check list of what is missing, the
submission) and one page per section. The officer's side (`/redditions/analyse/`): the queue, a
page per report (accept, request changes, extend the due date), a program's indicators and
settings, an agreement's targets. Views parse, call one operation, commit, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from grants.accountability import operations, program_report
from grants.accountability.forms import (
    ActionForm,
    ActivitiesForm,
    AttachmentForm,
    ExtensionForm,
    FinancesForm,
    IndicatorsForm,
    IndicatorSpecsForm,
    PeopleForm,
    ProgramReportForm,
    SettingsForm,
    TargetsForm,
    Typed,
    change_request_comments,
    change_request_form,
    typed_of,
)
from grants.accountability.models import (
    IndicatorKind,
    IndicatorUnit,
    Report,
    ReportAttachment,
    ReportAttachmentKind,
    ReportSection,
)
from grants.accountability.program_report import years_with_agreements
from grants.accountability.queries import (
    QueueFilters,
    agreement_targets,
    days_late,
    indicators_of,
    queue_sort,
    queue_statement,
    reports_of_agreement,
    reports_of_organizations,
    settings_for,
    target_for,
)
from grants.accountability.reminders import days_of, reminder_history
from grants.accountability.validation import (
    approved_by_category,
    problems_by_section,
    unspent_of,
    variables_for,
)
from grants.accountability.workflow import WORKFLOW, ReportEvent, ReportStatus, ReportTransitionRefused
from grants.agreements.models import Agreement
from grants.agreements.obligations import ReportKind
from grants.core import clock, jobs, permissions
from grants.core.audit import AuditEntry
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.listing import csv_response, paginate_rows
from grants.files.models import StoredFile
from grants.files.storage import download
from grants.fiscal import FiscalYear
from grants.programs.models import Program
from grants.reference.models import Region
from grants.requests.models import BudgetCategory

blueprint = Blueprint("accountability", __name__, url_prefix="/redditions")


@blueprint.app_template_filter("report_status_label")
def _status_label(status: str) -> str:
    return ReportStatus(status).label


@blueprint.app_template_filter("report_kind_label")
def _kind_label(kind: str) -> str:
    return ReportKind(kind).label


@blueprint.app_template_filter("budget_category_label")
def _budget_category_label(category: str) -> str:
    return BudgetCategory(category).label


# -- loading -------------------------------------------------------------------------------------------
def _load(report_id: int, rule: Any = None) -> Report:
    """The one place a report is loaded: 404 unless the user may see it (and act, with `rule`)."""
    report = db.session.get(Report, report_id)
    permissions.ensure(report is not None and permissions.can_read_report(current_user, report))
    if rule is not None:
        permissions.ensure(rule(current_user, report))
    return report  # type: ignore[return-value]


def _section_of(slug: str) -> ReportSection:
    section = ReportSection.from_slug(slug)
    permissions.ensure(section is not None)
    return section  # type: ignore[return-value]


def _overview_url(report: Report) -> str:
    return url_for("accountability.show", report_id=report.id)


# == the organization's side ==========================================================================
@blueprint.get("/")
def index() -> Any:
    if permissions.can_follow_reports(current_user):
        return redirect(url_for("accountability.queue"))
    reports = reports_of_organizations(current_user.organization_ids())
    if request.args.get("format") == "csv":
        return csv_response(
            "redditions.csv",
            [
                _("Rapport"),
                _("Organisme"),
                _("Convention"),
                _("Début"),
                _("Fin"),
                _("Échéance"),
                _("En retard"),
                _("État"),
            ],
            # Written now, while the related rows can still load (the CSV streams after the view).
            [
                [
                    r.title,
                    r.organization.legal_name,
                    r.agreement.number,
                    r.period_start,
                    r.period_end,
                    r.due_date,
                    _("oui") if r.is_late else _("non"),
                    r.status_label,
                ]
                for r in reports
            ],
            lambda values: values,
        )
    return render_template("accountability/index.html", reports=reports)


@blueprint.get("/<int:report_id>")
def show(report_id: int) -> Any:
    report = _load(report_id)
    if permissions.can_review_report(current_user, report):
        return redirect(url_for("accountability.review", report_id=report_id))
    return _render_overview(report)


def _render_overview(report: Report, *, status: int = 200, problems: list | None = None) -> Any:
    problems = operations.problems_of(report) if problems is None else problems
    form = ActionForm()
    form.version.data = report.version
    return render_template(
        "accountability/show.html",
        report=report,
        grouped=problems_by_section(problems),
        problems=problems,
        form=form,
        can_edit=permissions.can_edit_report(current_user, report),
        sections=list(ReportSection),
        change=report.open_change_request,
        reminders=reminder_history(report.id),
    ), status


@blueprint.post("/<int:report_id>/deposer")
def submit(report_id: int) -> Any:
    report = _load(report_id, permissions.can_submit_report)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré. Envoyez-le de nouveau."), "error")
        return redirect(_overview_url(report))
    try:
        report, now = operations.submit(report.id, actor=current_user, expected_version=form.version.data)
        db.session.commit()
    except operations.SubmissionIncomplete as incomplete:
        db.session.rollback()
        flash(_("Le rapport ne peut pas encore être déposé : voyez ce qu'il reste à compléter."), "error")
        return _render_overview(_load(report_id), status=422, problems=incomplete.problems)
    except ConcurrentChange as change:
        db.session.rollback()
        flash(change.message, "error")
        return _render_overview(_load(report_id), status=409)
    except ReportTransitionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return _render_overview(_load(report_id), status=409)
    if now:
        flash(
            _(
                "Le rapport est déposé. Un accusé de réception vous est envoyé par courriel avec sa "
                "version PDF."
            ),
            "success",
        )
    else:
        flash(_("Ce rapport est déjà déposé."), "info")
    return redirect(_overview_url(report))


@blueprint.route("/<int:report_id>/<slug>", methods=["GET", "POST"])
def section(report_id: int, slug: str) -> Any:
    report = _load(report_id)
    current = _section_of(slug)
    if request.method == "GET":
        return _render_section(report, current)
    permissions.ensure(permissions.can_edit_report(current_user, report))
    if current not in report.open_sections:
        flash(
            _(
                "Cette section n'est pas ouverte : le rapport est à l'état « %(status)s ».",
                status=report.status_label,
            ),
            "error",
        )
        return redirect(_overview_url(report), 303)
    return _save_section(report, current)


def _targets(report: Report, indicators: list) -> dict[int, Any]:
    """Each indicator's target for this report's agreement (its own, else the program's)."""
    own = agreement_targets(report.agreement_id)
    return {i.id: target_for(i, own) for i in indicators}


def _section_context(report: Report, current: ReportSection) -> dict[str, Any]:
    settings = settings_for(report.program_id)
    indicators = indicators_of(report.program_id)
    problems = operations.problems_of(report)
    return {
        "report": report,
        "current": current,
        "sections": list(ReportSection),
        "grouped": problems_by_section(problems),
        "editable": current in report.open_sections and permissions.can_edit_report(current_user, report),
        "change": report.open_change_request,
        "indicators": indicators,
        "targets": _targets(report, indicators),
        "variables": variables_for(settings),
        "approved": (approved := approved_by_category(report)),
        "approved_total": sum(approved.values(), Decimal(0)),
        "unspent": unspent_of(report, settings),
        "settings": settings,
        "max_mb": max(1, current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024)),
        "attachment_kinds": list(ReportAttachmentKind),
    }


def _section_form(report: Report, current: ReportSection, context: dict[str, Any], *, posted: bool) -> Any:
    """The section's form: as saved (`posted` False), or as sent by the browser."""
    source: dict[str, Any] = {} if posted else {"formdata": None}
    if current is ReportSection.INDICATORS:
        return IndicatorsForm.of(report, context["indicators"], **source)
    if current is ReportSection.FINANCES:
        return FinancesForm.of(report, context["approved"], **source)
    if current is ReportSection.PEOPLE:
        return PeopleForm.of(report, context["variables"], **source)
    data = {"version": report.version}
    if current is ReportSection.ACTIVITIES:
        return ActivitiesForm(
            data=data | {"activities": report.activities, "results": report.results}, **source
        )
    return AttachmentForm(data=data, **source)


def _render_section(report: Report, current: ReportSection, *, form: Any = None, status: int = 200) -> Any:
    context = _section_context(report, current)
    if form is None:
        form = _section_form(report, current, context, posted=False)
    typed = typed_of(form)
    errors = _expired_token_said(typed.errors)
    remove = ActionForm(prefix="remove")
    remove.version.data = report.version
    return render_template(
        "accountability/section.html",
        form=form,
        typed=typed,
        errors=errors,
        remove_form=remove,
        **context,
    ), status


def _expired_token_said(errors: dict[str, str]) -> dict[str, str]:
    """A refused CSRF token is said once, in words (not WTForms' own message)."""
    said = {name: message for name, message in errors.items() if not name.endswith("csrf_token")}
    for name in errors.keys() - said.keys():
        said[name] = _("Le formulaire a expiré. Envoyez-le de nouveau.")
    return said


def _save(report: Report, current: ReportSection, form: Any, change: Any) -> Any:
    """Run one save: refused input is shown back with its messages (422); a concurrent change shows
    the current version with what was typed (409); success goes back to the page (303)."""
    if not form.validate():
        return _render_section(report, current, form=form, status=422)
    try:
        change()
        db.session.commit()
    except ConcurrentChange as concurrent:
        db.session.rollback()
        flash(concurrent.message + " " + _("Ce que vous avez tapé est toujours dans le formulaire."), "error")
        fresh = _load(report.id)
        form.version.data = fresh.version
        return _render_section(fresh, current, form=form, status=409)
    except (operations.NotEditable, ReportTransitionRefused):
        db.session.rollback()
        flash(_("Cette section n'est plus ouverte : le rapport a changé d'état."), "error")
        return redirect(_overview_url(report), 303)
    flash(_("La section « %(section)s » est enregistrée.", section=current.label), "success")
    return redirect(url_for("accountability.section", report_id=report.id, slug=current.slug), 303)


def _change_of(report: Report, current: ReportSection, form: Any) -> Callable[[], Any]:
    """The operation that saves the section from its (validated) form."""
    version = {"actor": current_user, "expected_version": form.version.data}
    if current is ReportSection.ACTIVITIES:
        return lambda: operations.save_activities(
            report, activities=form.activities.data or "", results=form.results.data or "", **version
        )
    if current is ReportSection.INDICATORS:
        return lambda: operations.save_indicators(report, form.entries(), **version)
    if current is ReportSection.FINANCES:
        return lambda: operations.save_finances(
            report, form.entries(), explanation=form.unspent_explanation.data or "", **version
        )
    if current is ReportSection.PEOPLE:
        return lambda: operations.save_people(report, form.people(), **version)
    return lambda: operations.add_attachment(
        report, ReportAttachmentKind(form.kind.data), form.accepted, **version
    )


def _save_section(report: Report, current: ReportSection) -> Any:
    form = _section_form(report, current, _section_context(report, current), posted=True)
    if current is ReportSection.ATTACHMENTS:
        form.limits = (current_app.config["MAX_ATTACHMENT_BYTES"], report.program.office_attachments_allowed)
    return _save(report, current, form, _change_of(report, current, form))


@blueprint.post("/<int:report_id>/pieces/<int:attachment_id>/retirer")
def remove_attachment(report_id: int, attachment_id: int) -> Any:
    report = _load(report_id, permissions.can_edit_report)
    attachment = db.session.get(ReportAttachment, attachment_id)
    permissions.ensure(attachment is not None and attachment.report_id == report.id)
    form = ActionForm(prefix="remove")
    target = url_for("accountability.section", report_id=report.id, slug=ReportSection.ATTACHMENTS.slug)
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré. Envoyez-le de nouveau."), "error")
        return redirect(target, 303)
    try:
        operations.remove_attachment(
            report, attachment, actor=current_user, expected_version=form.version.data
        )
        db.session.commit()
    except ConcurrentChange as concurrent:
        db.session.rollback()
        flash(concurrent.message, "error")
        return redirect(target, 303)
    except (operations.NotEditable, ReportTransitionRefused):
        db.session.rollback()
        flash(_("Les pièces jointes de ce rapport ne peuvent plus être modifiées."), "error")
        return redirect(target, 303)
    flash(_("La pièce jointe est retirée."), "success")
    return redirect(target, 303)


def _serve(report_id: int, file_of: Callable[[Report], Any]) -> Any:
    """A file of a report the user may read (404 when the report has no such file)."""
    stored = file_of(_load(report_id))
    permissions.ensure(stored is not None)
    return download(stored)


@blueprint.get("/<int:report_id>/pieces/<int:attachment_id>")
def attachment(report_id: int, attachment_id: int) -> Any:
    return _serve(
        report_id, lambda report: next((a.file for a in report.attachments if a.id == attachment_id), None)
    )


@blueprint.get("/<int:report_id>/rapport.pdf")
def pdf(report_id: int) -> Any:
    return _serve(report_id, lambda report: report.pdf)


# == the officer's side ===============================================================================
QUEUE_CSV: list[tuple[Any, Callable[[Any], Any]]] = [
    (_l("Convention"), lambda r: r.agreement),
    (_l("Organisme"), lambda r: r.organization),
    (_l("Programme"), lambda r: r.program),
    (_l("Région"), lambda r: r.region),
    (_l("Rapport"), lambda r: ReportKind(r.kind).label),
    (_l("Exercice financier"), lambda r: r.fiscal_year),
    (_l("Début de la période"), lambda r: r.period_start),
    (_l("Fin de la période"), lambda r: r.period_end),
    (_l("Échéance"), lambda r: r.due_date),
    (_l("État"), lambda r: ReportStatus(r.status).label),
    (_l("Jours de retard"), lambda r: days_late(r.status, r.due_date)),
    (_l("Déposé le"), lambda r: r.submitted_at),
]
"""The queue's CSV export: each column's title and what it shows of a row."""


@blueprint.get("/analyse/")
@permissions.require(permissions.can_follow_reports)
def queue() -> Any:
    filters = QueueFilters.from_args(request.args)
    sort = queue_sort()
    statement = sort.apply(
        queue_statement(permissions.program_filter(current_user, Report.program_id), filters)
    )
    if request.args.get("format") == "csv":
        rows = db.session.execute(statement).yield_per(1000)
        header = [str(title) for title, _cell in QUEUE_CSV]
        return csv_response("redditions.csv", header, rows, lambda r: [cell(r) for _title, cell in QUEUE_CSV])
    page = paginate_rows(statement)
    programs = db.session.scalars(
        db.select(Program).where(permissions.program_filter(current_user, Program.id)).order_by(Program.code)
    ).all()
    return render_template(
        "accountability/queue.html",
        page=page,
        filters=filters,
        filter_errors=filters.errors(),
        sort=sort.current(),
        programs=programs,
        configurable=[p for p in programs if permissions.can_configure_reports(current_user, p.id)],
        statuses=list(ReportStatus),
        kinds=list(ReportKind),
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        days_late=days_late,
    )


def _review_forms(report: Report, *, fresh: bool = False) -> dict[str, Any]:
    """The three action forms; `fresh` ignores what was posted (after a refusal, the page shows the
    current version)."""
    posted: dict[str, Any] = {"formdata": None} if fresh else {}
    forms = {
        "accept": ActionForm(prefix="accept", **posted),
        "changes": change_request_form(prefix="changes", **posted),
        "extension": ExtensionForm(prefix="extension", **posted),
    }
    for form in forms.values():
        if fresh or form.version.data is None:
            form.version.data = report.version
    return forms


def _render_review(
    report: Report, *, status: int = 200, forms: dict | None = None, errors: dict | None = None
) -> Any:
    forms = forms or _review_forms(report, fresh=True)
    settings = settings_for(report.program_id)
    indicators = indicators_of(report.program_id)
    history = db.session.scalars(
        db.select(AuditEntry)
        .filter_by(object_type="Report", object_id=str(report.id))
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    ).all()
    from grants.payments.operations import installments_of

    return render_template(
        "accountability/review.html",
        report=report,
        forms=forms,
        errors=errors or {},
        can_review=permissions.can_review_report(current_user, report),
        can_accept=WORKFLOW.can(report, ReportEvent.ACCEPT),
        can_request_changes=WORKFLOW.can(report, ReportEvent.REQUEST_CHANGES),
        can_extend=permissions.can_extend_report(current_user, report),
        sections=list(ReportSection),
        indicators=indicators,
        targets=_targets(report, indicators),
        variables=variables_for(settings),
        unspent=unspent_of(report, settings),
        settings=settings,
        history=history,
        reminders=reminder_history(report.id),
        installments=installments_of(report.agreement_id, report.fiscal_year),
        schedule=reports_of_agreement(report.agreement_id),
        problems=operations.problems_of(report) if report.is_editable_by_organization else [],
    ), status


@blueprint.get("/analyse/<int:report_id>")
def review(report_id: int) -> Any:
    return _render_review(_load(report_id, permissions.can_read_report_review))


def _stale(report_id: int, message: str) -> Any:
    """Another officer acted first (or the page was old): say so and show the current state."""
    db.session.rollback()
    flash(message, "error")
    return _render_review(_load(report_id), status=409)


def _posted(report_id: int, name: str) -> tuple[Report, dict[str, Any], Any]:
    """The report an officer acts on, the review page's forms, and the one posted (`name`)."""
    report = _load(report_id, permissions.can_review_report)
    forms = _review_forms(report)
    return report, forms, forms[name]


def _errors_of(form: Any) -> dict[str, str]:
    """A posted form's messages, by input name (`extension-due_date`)."""
    return {f"{form._prefix}{name}": " ".join(map(str, m)) for name, m in form.errors.items()}


def _act(
    report: Report,
    forms: dict[str, Any],
    form: Any,
    action: Callable[..., Any],
    said: Callable[[Any], str],
    *,
    refused: dict[str, str] | None = None,
) -> Any:
    """Run an officer's action (`action(actor=…, expected_version=…)`) and commit, then say
    `said(what it answered)` back on the review page. Input `refused` or missing comes back on its
    fields (422); another officer's change or a refused move shows the current state (409)."""
    if refused:
        return _render_review(report, status=422, forms=forms, errors=refused)
    try:
        done = action(actor=current_user, expected_version=form.version.data)
        db.session.commit()
    except operations.ReviewInvalid as invalid:
        db.session.rollback()
        for field_name, message in invalid.errors.items():
            form[field_name].errors = [message]
        errors = {f"{form._prefix}{field_name}": message for field_name, message in invalid.errors.items()}
        return _render_review(_load(report.id), status=422, forms=forms, errors=errors)
    except (ConcurrentChange, ReportTransitionRefused) as stale:
        return _stale(report.id, stale.message)
    flash(said(done), "success")
    return redirect(url_for("accountability.review", report_id=report.id), 303)


def _accepted(authorized: list[Any]) -> str:
    message = _("Le rapport est accepté ; l'organisme en est informé.")
    if authorized:
        message += " " + ngettext(
            "%(num)s versement qui attendait ce rapport est autorisé.",
            "%(num)s versements qui attendaient ce rapport sont autorisés.",
            len(authorized),
        )
    return message


@blueprint.post("/analyse/<int:report_id>/accepter")
def accept(report_id: int) -> Any:
    report, forms, form = _posted(report_id, "accept")
    if not form.validate_on_submit():
        return _stale(report_id, _("Le formulaire a expiré. Envoyez-le de nouveau."))
    return _act(report, forms, form, lambda **by: operations.accept(report, **by), _accepted)


@blueprint.post("/analyse/<int:report_id>/corrections")
def request_changes(report_id: int) -> Any:
    report, forms, form = _posted(report_id, "changes")
    comments, refused = change_request_comments(form) if form.validate_on_submit() else ({}, _errors_of(form))
    return _act(
        report,
        forms,
        form,
        lambda **by: operations.request_changes(report, comments, **by),
        lambda _done: _("La demande de corrections est envoyée à l'organisme."),
        refused=refused,
    )


@blueprint.post("/analyse/<int:report_id>/echeance")
def extend(report_id: int) -> Any:
    report, forms, form = _posted(report_id, "extension")
    form.validate()
    new_due = form.parsed_date()  # None with a message on the field
    return _act(
        report,
        forms,
        form,
        lambda **by: operations.extend_due_date(report, new_due, form.reason.data or "", **by),
        lambda _done: _("L'échéance est reportée ; l'organisme en est informé."),
        refused=_errors_of(form),
    )


# -- a program's indicators and settings, an agreement's targets ------------------------------------------
def _program(code: str) -> Program:
    program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(program is not None and permissions.can_configure_reports(current_user, program.id))
    return program  # type: ignore[return-value]


def _render_program(
    program: Program,
    *,
    settings_form: SettingsForm | None = None,
    indicators_form: IndicatorSpecsForm | None = None,
    status: int = 200,
) -> Any:
    settings = settings_for(program.id)
    if settings_form is None:
        settings_form = SettingsForm(
            formdata=None,
            data={
                "version": settings.version,
                "grace_days": str(settings.grace_days),
                "unspent_threshold_percent": f"{settings.unspent_threshold_percent:.2f}".replace(
                    ".", ","
                ).removesuffix(",00"),
                "adsplus_variables": list(settings.adsplus_variables or []),
                **days_of(settings),
            },
        )
    indicators = indicators_of(program.id, active_only=False)
    if indicators_form is None:
        indicators_form = IndicatorSpecsForm.of(indicators, formdata=None)
    typed = typed_of(indicators_form)
    return render_template(
        "accountability/program.html",
        program=program,
        settings_form=settings_form,
        indicators_form=indicators_form,
        indicators=indicators,
        typed=Typed(typed.raw, _expired_token_said(typed.errors)),
        units=list(IndicatorUnit),
        kinds=list(IndicatorKind),
    ), status


@blueprint.get("/analyse/programmes/<code>")
def program(code: str) -> Any:
    return _render_program(_program(code))


@blueprint.post("/analyse/programmes/<code>/parametres")
def program_settings(code: str) -> Any:
    program = _program(code)
    form = SettingsForm()
    form.validate()
    grace_days, threshold = form.parsed_grace_days(), form.parsed_threshold()
    before, after = form.parsed_days("reminder_days_before"), form.parsed_days("overdue_days_after")
    if form.errors or threshold is None or grace_days is None:
        return _render_program(program, settings_form=form, status=422)
    try:
        operations.save_settings(
            program,
            grace_days=grace_days,
            unspent_threshold_percent=threshold,
            adsplus_variables=list(form.adsplus_variables.data or []),
            reminder_days_before=before,
            overdue_days_after=after,
            actor=current_user,
            expected_version=form.version.data,
        )
        db.session.commit()
    except ConcurrentChange as change:
        db.session.rollback()
        flash(change.message, "error")
        return _render_program(_program(code), status=409)
    flash(_("Les paramètres de reddition de comptes sont enregistrés."), "success")
    return redirect(url_for("accountability.program", code=code), 303)


@blueprint.post("/analyse/programmes/<code>/indicateurs")
def program_indicators(code: str) -> Any:
    program = _program(code)
    form = IndicatorSpecsForm.of(indicators_of(program.id, active_only=False))
    if not form.validate():
        return _render_program(program, indicators_form=form, status=422)
    operations.save_program_indicators(program, form.specs, actor=current_user)
    db.session.commit()
    flash(_("Les indicateurs du programme sont enregistrés."), "success")
    return redirect(url_for("accountability.program", code=code), 303)


@blueprint.route("/analyse/conventions/<int:agreement_id>/cibles", methods=["GET", "POST"])
def targets(agreement_id: int) -> Any:
    agreement = permissions.permitted(db.session.get(Agreement, agreement_id), permissions.can_set_targets)
    indicators = indicators_of(agreement.program_id)
    saved = agreement_targets(agreement.id)
    if request.method == "GET":
        form, status = TargetsForm.of(saved, indicators, formdata=None), 200
    else:
        form, status = TargetsForm.of(saved, indicators), 422
        if form.validate():
            operations.save_targets(agreement, form.entries(), actor=current_user)
            db.session.commit()
            flash(_("Les cibles de la convention sont enregistrées."), "success")
            return redirect(url_for("accountability.targets", agreement_id=agreement_id), 303)
    typed = typed_of(form)
    return render_template(
        "accountability/targets.html",
        agreement=agreement,
        indicators=indicators,
        typed=Typed(typed.raw, _expired_token_said(typed.errors)),
        form=form,
        reports=reports_of_agreement(agreement.id),
    ), status


# -- the program report for a fiscal year (built in the background) ------------------------------------------
def _report_form(program: Program) -> ProgramReportForm:
    form = ProgramReportForm()
    years = years_with_agreements(program.id)
    form.fiscal_year.choices = [(str(y.start_year), str(y)) for y in years]
    if not form.fiscal_year.data and years:
        current = FiscalYear.of(clock.today())
        form.fiscal_year.data = str(current.start_year if current in years else years[0].start_year)
    return form


def _render_program_report(program: Program, form: ProgramReportForm, *, status: int = 200) -> Any:
    recent = jobs.latest_jobs(program_report.JOB_KIND, program_id=program.id)
    return render_template(
        "accountability/program_report.html",
        program=program,
        form=form,
        recent=recent,
        current=recent[0] if recent else None,
        refresh=bool(recent and recent[0].is_active),
    ), status


@blueprint.route("/analyse/programmes/<code>/rapport", methods=["GET", "POST"])
def program_report_page(code: str) -> Any:
    program = _program(code)
    form = _report_form(program)
    if request.method == "GET":
        return _render_program_report(program, form)
    if not form.validate_on_submit():
        return _render_program_report(program, form, status=422)
    job = jobs.start_job(
        program_report.JOB_KIND,
        requested_by=current_user,
        program_id=program.id,
        params={"fiscal_year": int(form.fiscal_year.data), "language": form.language.data},
        total=program_report.STEPS,
    )
    db.session.commit()
    if jobs.queue_job(program_report.TASK_NAME, job):
        flash(_("Le rapport est en préparation ; cette page se met à jour d'elle-même."), "success")
    else:
        flash(_("Le rapport attend que le service de traitement soit disponible."), "error")
    return redirect(url_for("accountability.program_report_page", code=code), 303)


@blueprint.get("/analyse/programmes/<code>/rapport/<int:start_year>/organismes.csv")
def program_report_csv(code: str, start_year: int) -> Any:
    """The report's table per organization for a fiscal year, as CSV (built now: set-based figures
    and the suppression take well under a second for a few hundred organizations)."""
    program = _program(code)
    year = next((y for y in years_with_agreements(program.id) if y.start_year == start_year), None)
    permissions.ensure(year is not None)
    header, rows = program_report.csv_table(program_report.gather(program, year))
    return csv_response(program_report.csv_file_name(program, year), header, rows, lambda row: row)


@blueprint.get("/analyse/programmes/<code>/rapport/<int:job_id>.pdf")
def program_report_file(code: str, job_id: int) -> Any:
    program = _program(code)
    job = jobs.job_for(job_id)
    permissions.ensure(
        job is not None
        and job.kind == program_report.JOB_KIND
        and job.program_id == program.id
        and job.is_done
        and job.result_file_id is not None
        and permissions.can_read_job(current_user, job)
    )
    return download(db.session.get(StoredFile, job.result_file_id))
