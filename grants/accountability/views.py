"""Accountability pages. The organization's side (`/redditions/`): its reports with their due dates,
each report's overview (sections with their completion, the check list of what is missing, the
submission) and one page per section. The officer's side (`/redditions/analyse/`): the queue, a
page per report (accept, request changes, extend the due date), a program's indicators and
settings, an agreement's targets. Views parse, call one operation, commit, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.accountability import operations
from grants.accountability.forms import (
    ActionForm,
    ActivitiesForm,
    AttachmentForm,
    ExtensionForm,
    FinancesForm,
    GridForm,
    SettingsForm,
    Typed,
    change_request_comments,
    change_request_form,
    read_finances,
    read_indicator_specs,
    read_indicators,
    read_people,
    read_targets,
    typed_finances,
    typed_indicator_specs,
    typed_indicators,
    typed_people,
    typed_targets,
)
from grants.accountability.models import (
    IndicatorKind,
    IndicatorUnit,
    Report,
    ReportAttachment,
    ReportAttachmentKind,
    ReportSection,
)
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
from grants.core import permissions
from grants.core.audit import AuditEntry
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.listing import csv_response, paginate_rows
from grants.files.sniffing import UploadRefused, check_upload
from grants.files.storage import download
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
    if permissions.is_staff(current_user):
        return redirect(url_for("accountability.queue"))
    reports = reports_of_organizations(current_user.organization_ids())
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
    return SAVERS[current](report)


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
        "approved": approved_by_category(report),
        "unspent": unspent_of(report, settings),
        "settings": settings,
        "max_mb": max(1, current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024)),
        "attachment_kinds": list(ReportAttachmentKind),
    }


def _render_section(
    report: Report,
    current: ReportSection,
    *,
    form: Any = None,
    typed: Typed | None = None,
    status: int = 200,
) -> Any:
    context = _section_context(report, current)
    if form is None:
        form = _blank_form(report, current)
    if typed is None:
        typed = _typed_of(report, current, context)
    errors = dict(typed.errors)
    for name, messages in form.errors.items():
        if name != "csrf_token":
            errors.setdefault(name, " ".join(map(str, messages)))
    if "csrf_token" in form.errors:
        errors["csrf_token"] = _("Le formulaire a expiré. Envoyez-le de nouveau.")
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


def _blank_form(report: Report, current: ReportSection) -> Any:
    data = {"version": report.version}
    if current is ReportSection.ACTIVITIES:
        return ActivitiesForm(
            data=data | {"activities": report.activities, "results": report.results}, formdata=None
        )
    if current is ReportSection.FINANCES:
        return FinancesForm(data=data | {"unspent_explanation": report.unspent_explanation}, formdata=None)
    if current is ReportSection.ATTACHMENTS:
        return AttachmentForm(data=data, formdata=None)
    return GridForm(data=data, formdata=None)


def _typed_of(report: Report, current: ReportSection, context: dict[str, Any]) -> Typed:
    if current is ReportSection.INDICATORS:
        return typed_indicators(report, context["indicators"])
    if current is ReportSection.FINANCES:
        return typed_finances(report)
    if current is ReportSection.PEOPLE:
        return typed_people(report, context["variables"])
    return Typed()


def _save(report: Report, current: ReportSection, form: Any, typed: Typed, change: Any) -> Any:
    """Run one save: refused input is shown back with its messages (422); a concurrent change shows
    the current version with what was typed (409); success goes back to the page (303)."""
    if typed.errors or form.errors:
        return _render_section(report, current, form=form, typed=typed, status=422)
    try:
        change()
        db.session.commit()
    except ConcurrentChange as concurrent:
        db.session.rollback()
        flash(concurrent.message + " " + _("Ce que vous avez tapé est toujours dans le formulaire."), "error")
        fresh = _load(report.id)
        form.version.data = fresh.version
        return _render_section(fresh, current, form=form, typed=typed, status=409)
    except (operations.NotEditable, ReportTransitionRefused):
        db.session.rollback()
        flash(_("Cette section n'est plus ouverte : le rapport a changé d'état."), "error")
        return redirect(_overview_url(report), 303)
    flash(_("La section « %(section)s » est enregistrée.", section=current.label), "success")
    return redirect(url_for("accountability.section", report_id=report.id, slug=current.slug), 303)


def _save_activities(report: Report) -> Any:
    form = ActivitiesForm()
    form.validate()
    return _save(
        report,
        ReportSection.ACTIVITIES,
        form,
        Typed(),
        lambda: operations.save_activities(
            report,
            activities=form.activities.data or "",
            results=form.results.data or "",
            actor=current_user,
            expected_version=form.version.data,
        ),
    )


def _save_indicators(report: Report) -> Any:
    form = GridForm()
    form.validate()
    entries, typed = read_indicators(request.form, indicators_of(report.program_id))
    return _save(
        report,
        ReportSection.INDICATORS,
        form,
        typed,
        lambda: operations.save_indicators(
            report, entries, actor=current_user, expected_version=form.version.data
        ),
    )


def _save_finances(report: Report) -> Any:
    form = FinancesForm()
    form.validate()
    entries, typed = read_finances(request.form, approved_by_category(report))
    return _save(
        report,
        ReportSection.FINANCES,
        form,
        typed,
        lambda: operations.save_finances(
            report,
            entries,
            explanation=form.unspent_explanation.data or "",
            actor=current_user,
            expected_version=form.version.data,
        ),
    )


def _save_people(report: Report) -> Any:
    form = GridForm()
    form.validate()
    data, typed = read_people(request.form, variables_for(settings_for(report.program_id)))
    return _save(
        report,
        ReportSection.PEOPLE,
        form,
        typed,
        lambda: operations.save_people(report, data, actor=current_user, expected_version=form.version.data),
    )


def _save_attachment(report: Report) -> Any:
    form = AttachmentForm()
    form.validate()
    typed = Typed(raw={"kind": form.kind.data or ""})
    upload = request.files.get("attachment")
    accepted = None
    if upload is None or not upload.filename:
        typed.errors["attachment"] = _("Choisissez le fichier à joindre.")
    elif form.kind.data not in {k.value for k in ReportAttachmentKind}:
        typed.errors["kind"] = _("Choisissez le type de pièce jointe.")
    else:
        data = upload.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
        try:
            accepted = check_upload(
                data,
                upload.filename,
                max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
                allow_office=report.program.office_attachments_allowed,
            )
        except UploadRefused as refusal:
            typed.errors["attachment"] = str(refusal.message)
    return _save(
        report,
        ReportSection.ATTACHMENTS,
        form,
        typed,
        lambda: operations.add_attachment(
            report,
            ReportAttachmentKind(form.kind.data),
            accepted,  # type: ignore[arg-type]
            actor=current_user,
            expected_version=form.version.data,
        ),
    )


SAVERS = {
    ReportSection.ACTIVITIES: _save_activities,
    ReportSection.INDICATORS: _save_indicators,
    ReportSection.FINANCES: _save_finances,
    ReportSection.PEOPLE: _save_people,
    ReportSection.ATTACHMENTS: _save_attachment,
}


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


@blueprint.get("/<int:report_id>/pieces/<int:attachment_id>")
def attachment(report_id: int, attachment_id: int) -> Any:
    report = _load(report_id)
    found = db.session.get(ReportAttachment, attachment_id)
    permissions.ensure(found is not None and found.report_id == report.id)
    return download(found.file)


@blueprint.get("/<int:report_id>/rapport.pdf")
def pdf(report_id: int) -> Any:
    report = _load(report_id)
    permissions.ensure(report.pdf is not None)
    return download(report.pdf)


# == the officer's side ===============================================================================
def _program_ids() -> set[int]:
    if permissions.is_admin(current_user) or permissions.can_supervise_funding(current_user):
        return set(db.session.scalars(db.select(Program.id)))
    return current_user.officer_program_ids()


@blueprint.get("/analyse/")
@permissions.require_staff()
def queue() -> Any:
    program_ids = _program_ids()
    filters = QueueFilters.from_args(request.args)
    sort = queue_sort()
    statement = sort.apply(queue_statement(program_ids, filters))
    if request.args.get("format") == "csv":
        header = [
            _("Convention"),
            _("Organisme"),
            _("Programme"),
            _("Région"),
            _("Rapport"),
            _("Exercice financier"),
            _("Début de la période"),
            _("Fin de la période"),
            _("Échéance"),
            _("État"),
            _("Jours de retard"),
            _("Déposé le"),
        ]
        rows = db.session.execute(statement).yield_per(1000)
        return csv_response(
            "redditions.csv",
            header,
            rows,
            lambda r: [
                r.agreement,
                r.organization,
                r.program,
                r.region,
                ReportKind(r.kind).label,
                r.fiscal_year,
                r.period_start,
                r.period_end,
                r.due_date,
                ReportStatus(r.status).label,
                days_late(r.status, r.due_date),
                r.submitted_at,
            ],
        )
    page = paginate_rows(statement)
    programs = db.session.scalars(
        db.select(Program).where(Program.id.in_(program_ids)).order_by(Program.code)
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
        can_extend=not (report.is_accepted or report.is_cancelled),
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


def _load_for_review(report_id: int) -> Report:
    report = _load(report_id)
    permissions.ensure(permissions.is_staff(current_user))
    return report


@blueprint.get("/analyse/<int:report_id>")
def review(report_id: int) -> Any:
    return _render_review(_load_for_review(report_id))


def _stale(report_id: int, message: str) -> Any:
    """Another officer acted first (or the page was old): say so and show the current state."""
    db.session.rollback()
    flash(message, "error")
    return _render_review(_load(report_id), status=409)


@blueprint.post("/analyse/<int:report_id>/accepter")
def accept(report_id: int) -> Any:
    report = _load(report_id, permissions.can_review_report)
    forms = _review_forms(report)
    if not forms["accept"].validate_on_submit():
        return _stale(report_id, _("Le formulaire a expiré. Envoyez-le de nouveau."))
    try:
        authorized = operations.accept(
            report, actor=current_user, expected_version=forms["accept"].version.data
        )
        db.session.commit()
    except ConcurrentChange as change:
        return _stale(report_id, change.message)
    except ReportTransitionRefused as refused:
        return _stale(report_id, refused.message)
    message = _("Le rapport est accepté ; l'organisme en est informé.")
    if authorized:
        message += " " + _(
            "%(n)s versement(s) qui attendai(en)t ce rapport sont autorisés.", n=len(authorized)
        )
    flash(message, "success")
    return redirect(url_for("accountability.review", report_id=report_id), 303)


@blueprint.post("/analyse/<int:report_id>/corrections")
def request_changes(report_id: int) -> Any:
    report = _load(report_id, permissions.can_review_report)
    forms = _review_forms(report)
    form = forms["changes"]
    if not form.validate_on_submit():
        errors = {name: " ".join(map(str, m)) for name, m in form.errors.items()}
        return _render_review(report, status=422, forms=forms, errors=errors)
    comments, errors = change_request_comments(form)
    if errors:
        return _render_review(report, status=422, forms=forms, errors=errors)
    try:
        operations.request_changes(report, comments, actor=current_user, expected_version=form.version.data)
        db.session.commit()
    except operations.ReviewInvalid as invalid:
        db.session.rollback()
        errors = {f"changes-{name}": message for name, message in invalid.errors.items()}
        return _render_review(_load(report_id), status=422, forms=forms, errors=errors)
    except ConcurrentChange as change:
        return _stale(report_id, change.message)
    except ReportTransitionRefused as refused:
        return _stale(report_id, refused.message)
    flash(_("La demande de corrections est envoyée à l'organisme."), "success")
    return redirect(url_for("accountability.review", report_id=report_id), 303)


@blueprint.post("/analyse/<int:report_id>/echeance")
def extend(report_id: int) -> Any:
    report = _load(report_id, permissions.can_review_report)
    forms = _review_forms(report)
    form = forms["extension"]
    form.validate()
    new_due = form.parsed_date()
    errors = {f"extension-{n}": " ".join(map(str, m)) for n, m in form.errors.items()}
    if new_due is None or errors:
        return _render_review(report, status=422, forms=forms, errors=errors)
    try:
        operations.extend_due_date(
            report, new_due, form.reason.data or "", actor=current_user, expected_version=form.version.data
        )
        db.session.commit()
    except operations.ReviewInvalid as invalid:
        db.session.rollback()
        errors = {f"extension-{n}": m for n, m in invalid.errors.items()}
        for name, message in invalid.errors.items():
            form[name].errors = [message]
        return _render_review(_load(report_id), status=422, forms=forms, errors=errors)
    except ConcurrentChange as change:
        return _stale(report_id, change.message)
    flash(_("L'échéance est reportée ; l'organisme en est informé."), "success")
    return redirect(url_for("accountability.review", report_id=report_id), 303)


# -- a program's indicators and settings, an agreement's targets ------------------------------------------
def _program(code: str) -> Program:
    program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(program is not None and permissions.can_configure_reports(current_user, program.id))
    return program  # type: ignore[return-value]


def _render_program(
    program: Program,
    *,
    settings_form: SettingsForm | None = None,
    typed: Typed | None = None,
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
    typed = typed or typed_indicator_specs(indicators)
    indicators_form = GridForm(prefix="indicators", formdata=None)
    return render_template(
        "accountability/program.html",
        program=program,
        settings_form=settings_form,
        indicators_form=indicators_form,
        indicators=indicators,
        typed=typed,
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
    form = GridForm(prefix="indicators")
    indicators = indicators_of(program.id, active_only=False)
    specs, typed = read_indicator_specs(request.form, indicators)
    taken = {i.code: i.id for i in indicators}
    for key, spec in specs.items():
        if spec.code in taken and taken[spec.code] != key:
            typed.errors.setdefault(
                f"ind-{key or 'new'}-code", _("Ce code est déjà utilisé par un autre indicateur.")
            )
    if not form.validate() or typed.errors:
        if form.errors:
            typed.errors["indicators-csrf_token"] = _("Le formulaire a expiré. Envoyez-le de nouveau.")
        return _render_program(program, typed=typed, status=422)
    operations.save_program_indicators(program, specs, actor=current_user)
    db.session.commit()
    flash(_("Les indicateurs du programme sont enregistrés."), "success")
    return redirect(url_for("accountability.program", code=code), 303)


@blueprint.route("/analyse/conventions/<int:agreement_id>/cibles", methods=["GET", "POST"])
def targets(agreement_id: int) -> Any:
    agreement = db.session.get(Agreement, agreement_id)
    permissions.ensure(
        agreement is not None and permissions.can_configure_reports(current_user, agreement.program_id)
    )
    indicators = indicators_of(agreement.program_id)
    form = GridForm()
    status = 200
    if request.method == "POST":
        values, typed = read_targets(request.form, indicators)
        if form.validate() and not typed.errors:
            operations.save_targets(agreement, values, actor=current_user)
            db.session.commit()
            flash(_("Les cibles de la convention sont enregistrées."), "success")
            return redirect(url_for("accountability.targets", agreement_id=agreement_id), 303)
        status = 422
    else:
        typed = typed_targets(agreement_targets(agreement.id), indicators)
    return render_template(
        "accountability/targets.html",
        agreement=agreement,
        indicators=indicators,
        typed=typed,
        form=form,
        reports=reports_of_agreement(agreement.id),
    ), status
