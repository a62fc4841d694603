"""Indexation pages: the officer's programs and runs, a preview, a run's steps (approve, apply,
set aside, reverse) with its CSV, a program's rule and fixed rates, and the notice download."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from grants.agreements import signals as agreement_signals
from grants.agreements.models import Agreement
from grants.core import permissions
from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.core.inputs import whole_number
from grants.core.listing import csv_response, paginate_list, paginate_rows
from grants.cpi.models import CpiSeries
from grants.cpi.rates import METHOD_LABELS, MissingMonths, RateMethod
from grants.files.storage import download
from grants.fiscal import FiscalYear
from grants.indexation import operations
from grants.indexation.forms import FixedRateForm, RuleForm, RunStepForm
from grants.indexation.models import IndexationLine, IndexationRule, IndexationRun, RunStatus
from grants.indexation.notices import dispatch_notices
from grants.indexation.preview import exclusion_label, totals
from grants.indexation.rules import NoRate, RateRefused, describe, parse_rate, rate_problem, rule_of
from grants.programs.models import Program

blueprint = Blueprint("indexation", __name__, url_prefix="/indexation")


@blueprint.app_template_filter("rate_method_label")
def _method_label(value: str) -> str:
    return str(METHOD_LABELS.get(RateMethod(value), value)) if value else ""


@blueprint.app_template_filter("exclusion_label")
def _exclusion_label(code: str) -> str:
    return exclusion_label(code)


@blueprint.app_template_filter("decimal_value")
def _decimal_value(value: Any) -> str:
    from grants.core.formatting import number

    return number(Decimal(str(value))) if value not in (None, "") else ""


def _programs() -> list[Program]:
    """The indexed programs this officer manages (all of them for an administrator)."""
    programs = db.session.scalars(db.select(Program).filter_by(indexed=True).order_by(Program.code)).all()
    return [p for p in programs if permissions.can_manage_program(current_user, p.id)]


def _program(code: str) -> Program:
    program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(program is not None and permissions.can_manage_program(current_user, program.id))
    return program  # type: ignore[return-value]


def _run(run_id: int) -> IndexationRun:
    """The one place a run is loaded: 404 unless the user manages its program."""
    run = db.session.get(IndexationRun, run_id)
    permissions.ensure(run is not None and permissions.can_manage_program(current_user, run.program_id))
    return run  # type: ignore[return-value]


def _year(text: str | None) -> FiscalYear | None:
    try:
        return FiscalYear.parse(text or "")
    except ValueError:
        return None


@blueprint.get("/")
@permissions.require_staff()
def index() -> Any:
    programs = _programs()
    runs = db.session.scalars(
        db.select(IndexationRun)
        .where(IndexationRun.program_id.in_([p.id for p in programs]))
        .order_by(IndexationRun.fiscal_year.desc(), IndexationRun.id.desc())
    ).all()
    return render_template(
        "indexation/index.html",
        programs=programs,
        rules={p.id: rule_of(p) for p in programs},
        runs=runs,
        next_year=current_fiscal_year().next(),
    )


@blueprint.get("/apercu")
@permissions.require_staff()
def preview() -> Any:
    program = _program(request.args.get("program", ""))
    year = _year(request.args.get("fiscal_year"))
    if year is None:
        flash(_("Écrivez l'exercice ainsi : 2027-2028."), "error")
        return redirect(url_for("indexation.index"))
    try:
        rate, lines = operations.preview(program, year)
    except operations.AlreadyApplied as applied:
        # The applied run is the answer: its rate and its frozen lines, never a second compounding.
        if request.args.get("format") == "csv":
            return redirect(url_for("indexation.show", run_id=applied.run.id, format="csv"), 303)
        flash(applied.message, "info")
        return redirect(url_for("indexation.show", run_id=applied.run.id), 303)
    except (MissingMonths, NoRate) as error:
        return render_template(
            "indexation/preview.html", program=program, year=year, problem=error.message, lines=[]
        ), 422
    if request.args.get("format") == "csv":
        return _csv(f"indexation-{program.code}-{year}-apercu.csv", rate.percent, lines)
    live = db.session.execute(
        db.select(IndexationRun).where(
            IndexationRun.program_id == program.id,
            IndexationRun.fiscal_year == year,
            IndexationRun.status.in_([RunStatus.PREVIEWED, RunStatus.APPROVED, RunStatus.APPLIED]),
        )
    ).scalar_one_or_none()
    return render_template(
        "indexation/preview.html",
        program=program,
        year=year,
        rate=rate,
        rule=rule_of(program),
        page=paginate_list(lines),
        summary=totals(lines),
        live=live,
        problem=None,
    )


def _csv(filename: str, rate_percent: Decimal, lines: list[Any]) -> Any:
    header = [
        _("Organisme"),
        _("Convention"),
        _("Montant de base"),
        _("Taux (%)"),
        _("Nouveau montant"),
        _("Écart"),
        _("Exclusion"),
    ]
    rows = [
        [
            getattr(line, "organization", None) or line.agreement.organization.legal_name,
            getattr(line, "agreement_number", None) or line.agreement.number,
            line.base_amount,
            "" if line.excluded_reason else rate_percent,
            line.new_amount if line.new_amount is not None else "",
            line.difference if line.difference is not None else "",
            exclusion_label(line.excluded_reason) if line.excluded_reason else "",
        ]
        for line in lines
    ]  # read now: the file is streamed after the request's session is gone
    return csv_response(filename, header, rows, lambda row: row)


@blueprint.post("/executions")
@permissions.require_staff()
def create() -> Any:
    program = _program(request.form.get("program", ""))
    year = _year(request.form.get("fiscal_year"))
    permissions.ensure(year is not None)
    from flask_wtf.csrf import validate_csrf

    validate_csrf(request.form.get("csrf_token"))
    try:
        run = operations.create_run(program, year, actor=current_user)  # type: ignore[arg-type]
        db.session.commit()
    except (operations.RunRefused, MissingMonths, NoRate) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("indexation.preview", program=program.code, fiscal_year=str(year)))
    flash(_("L'aperçu est enregistré ; un·e agent·e autorisé·e peut maintenant l'approuver."), "success")
    return redirect(url_for("indexation.show", run_id=run.id))


@blueprint.get("/executions/<int:run_id>")
@permissions.require_staff()
def show(run_id: int) -> Any:
    run = _run(run_id)
    statement = (
        db.select(IndexationLine)
        .filter_by(run_id=run.id)
        .options(db.joinedload(IndexationLine.agreement).joinedload(Agreement.organization))
        .order_by(IndexationLine.id)
    )
    if request.args.get("format") == "csv":
        lines = db.session.scalars(statement).all()
        return _csv(f"indexation-{run.program.code}-{run.fiscal_year}.csv", run.rate_percent, lines)
    page = paginate_rows(statement)
    page.items = [row[0] for row in page.items]
    form = RunStepForm()
    form.version.data = str(run.version)
    return render_template(
        "indexation/run.html",
        run=run,
        page=page,
        summary=operations.run_totals(run),
        form=form,
        can_authorize=permissions.can_authorize_for_program(current_user, run.program_id),
    )


@blueprint.post("/executions/<int:run_id>/<step>")
@permissions.require_staff()
def step(run_id: int, step: str) -> Any:
    run = _run(run_id)
    form = RunStepForm()
    permissions.ensure(step in {"approuver", "appliquer", "abandonner", "annuler"})
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré ; recommencez."), "error")
        return redirect(url_for("indexation.show", run_id=run_id))
    version = whole_number(form.version.data)
    messages = {
        "approuver": _("L'indexation est approuvée ; elle peut être appliquée."),
        "appliquer": _(
            "L'indexation est appliquée : les montants et les versements sont à jour, les avis partent."
        ),
        "abandonner": _("L'indexation est abandonnée."),
        "annuler": _("L'indexation est annulée : les montants d'avant sont rétablis."),
    }
    try:
        if step == "approuver":
            operations.approve(run, actor=current_user, expected_version=version)
        elif step == "appliquer":
            if not operations.apply(run, actor=current_user, expected_version=version):
                flash(_("Cette indexation était déjà appliquée : rien n'a changé."), "info")
                return redirect(url_for("indexation.show", run_id=run_id))
        elif step == "abandonner":
            operations.cancel(run, actor=current_user, expected_version=version)
        else:
            operations.reverse(
                run, reason=form.reason.data or "", actor=current_user, expected_version=version
            )
        db.session.commit()
    except operations.RunRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("indexation.show", run_id=run_id))
    if step == "appliquer":
        dispatch_notices(run_id)
    flash(messages[step], "success")
    return redirect(url_for("indexation.show", run_id=run_id))


@blueprint.get("/avis/<int:line_id>.pdf")
def notice(line_id: int) -> Any:
    """The notice of one grant: its organization, the program's officers and the cell; 404 otherwise."""
    line = db.session.get(IndexationLine, line_id)
    permissions.ensure(
        line is not None
        and line.notice is not None
        and permissions.can_read_funding_file(current_user, line.organization_id, line.run.program_id)
    )
    return download(line.notice, inline=True)


@blueprint.route("/programmes/<code>/regle", methods=["GET", "POST"])
@permissions.require_staff()
def rule(code: str) -> Any:
    program = _program(code)
    current = rule_of(program) or IndexationRule(
        program_id=program.id,
        method=RateMethod.ANNUAL_AVERAGE,
        rounding="dollar",
        floor_at_zero=True,
        decimals=1,
    )
    form = RuleForm(obj=current)
    form.series_id.choices = [
        (s.id, s.name) for s in db.session.scalars(db.select(CpiSeries).order_by(CpiSeries.name))
    ]
    rate_form = FixedRateForm(prefix="fixed")
    can_edit = permissions.can_authorize_for_program(current_user, program.id)
    if request.method == "POST" and not can_edit:
        permissions.ensure(False)
    if request.method == "POST" and form.validate_on_submit():
        before = describe(current)
        form.populate_obj(current)
        if current.id is None:
            db.session.add(current)
        db.session.flush()
        from grants.core.audit import diff, record

        record(
            "indexation.rule_changed",
            program,
            actor=current_user,
            changes=diff(before, describe(current)),
        )
        db.session.commit()
        flash(_("La règle d'indexation est enregistrée."), "success")
        return redirect(url_for("indexation.rule", code=code))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "indexation/rule.html",
        program=program,
        rule=current,
        form=form,
        rate_form=rate_form,
        can_edit=can_edit,
        rate_problems=_rate_problems(current),
    ), status


@blueprint.post("/programmes/<code>/taux-fixes")
@permissions.require_staff()
def fixed_rate(code: str) -> Any:
    program = _program(code)
    permissions.ensure(permissions.can_authorize_for_program(current_user, program.id))
    current = rule_of(program)
    permissions.ensure(current is not None)
    form = FixedRateForm(prefix="fixed")
    if form.validate_on_submit():
        year = _year(form.fiscal_year.data)
        if year is None:
            form.fiscal_year.errors = [_("Écrivez l'exercice ainsi : 2027-2028.")]
        else:
            try:
                operations.set_fixed_rate(
                    current, year, parse_rate(form.percent.data), source=form.source.data, actor=current_user
                )
            except RateRefused as refused:
                db.session.rollback()
                form.percent.errors = [refused.message]
            else:
                db.session.commit()
                flash(_("Le taux de %(year)s est enregistré.", year=str(year)), "success")
                return redirect(url_for("indexation.rule", code=code))
    rule_form = RuleForm(obj=current)
    rule_form.series_id.choices = [
        (s.id, s.name) for s in db.session.scalars(db.select(CpiSeries).order_by(CpiSeries.name))
    ]
    return render_template(
        "indexation/rule.html",
        program=program,
        rule=current,
        form=rule_form,
        rate_form=form,
        can_edit=True,
        rate_problems=_rate_problems(current),
    ), 422


def _rate_problems(rule: IndexationRule | None) -> dict[int, str]:
    """Why each stored fixed rate cannot be applied (one recorded before the bounds existed): the
    rule page shows it next to the rate, so it can be corrected there."""
    if rule is None or rule.id is None:
        return {}
    return {f.id: problem for f in rule.fixed_rates if (problem := rate_problem(f.percent)) is not None}


# -- the agreement page's indexation section (grants.agreements.signals.agreement_page) ----------
@agreement_signals.agreement_page.connect
def agreement_section(agreement: Agreement, **_: Any) -> list[agreement_signals.PageSection]:
    """An indexed agreement's page shows, for each fiscal year, the amount granted, the rate
    applied, the indexed amount and the notice; agreements themselves know nothing of indexation."""
    if not agreement.indexed:
        return []
    lines = {line.run.fiscal_year: line for line in operations.applied_lines_of(agreement.id)}
    rows = [(year, lines.get(year.fiscal_year)) for year in agreement.years]
    html = render_template("indexation/_agreement_indexation.html", rows=rows)
    return [agreement_signals.PageSection(20, Markup(html))]
