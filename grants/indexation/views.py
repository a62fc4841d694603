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
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.listing import csv_response, paginate_list, paginate_rows
from grants.cpi.models import CpiSeries
from grants.cpi.rates import METHOD_LABELS, MissingMonths, RateMethod, input_label
from grants.files.storage import download
from grants.fiscal import FiscalYear
from grants.indexation import operations, queries
from grants.indexation.forms import CreateRunForm, FixedRateForm, RuleForm, RunStepForm
from grants.indexation.models import IndexationLine, IndexationRule, IndexationRun
from grants.indexation.notices import dispatch_notices
from grants.indexation.preview import exclusion_label, totals
from grants.indexation.rules import (
    NoRate,
    RateRefused,
    latest_computable_year,
    parse_rate,
    rate_problem,
    rule_of,
)
from grants.indexation.workflow import RUNS, RunEvent
from grants.programs.models import Program

blueprint = Blueprint("indexation", __name__, url_prefix="/indexation")


@blueprint.app_template_filter("rate_method_label")
def _method_label(value: str) -> str:
    return str(METHOD_LABELS.get(RateMethod(value), value)) if value else ""


@blueprint.app_template_filter("rate_input_label")
def _input_label(item: Any) -> str:
    """A CPI figure a rate came from, in the reader's language (stored language-neutral)."""
    return input_label(item)


@blueprint.app_template_filter("exclusion_label")
def _exclusion_label(code: str) -> str:
    return exclusion_label(code)


@blueprint.app_template_filter("decimal_value")
def _decimal_value(value: Any) -> str:
    from grants.core.formatting import cpi_value

    return cpi_value(value)


def _program(code: str) -> Program:
    """The one place a program is loaded: 404 unless the user manages its indexation."""
    return permissions.permitted(queries.program_by_code(code), permissions.can_manage_indexation)


def _run(run_id: int) -> IndexationRun:
    """The one place a run is loaded: 404 unless the user manages its program."""
    run = db.session.get(IndexationRun, run_id)
    permissions.ensure(run is not None and permissions.can_manage_indexation(current_user, run.program))
    return run  # type: ignore[return-value]


def _year(text: str | None) -> FiscalYear | None:
    try:
        return FiscalYear.parse(text or "")
    except ValueError:
        return None


@blueprint.get("/")
@permissions.require_staff()
def index() -> Any:
    programs = queries.indexed_programs(current_user)
    runs = queries.runs_of(programs)
    rules = {p.id: rule_of(p) for p in programs}
    next_year = current_fiscal_year().next()
    if programs:  # the year the first program (selected by default) can compute now
        next_year = latest_computable_year(rules[programs[0].id], next_year) or next_year
    return render_template(
        "indexation/index.html",
        programs=programs,
        rules=rules,
        runs=runs,
        next_year=next_year,
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
    create_form = CreateRunForm(program=program.code, fiscal_year=str(year))
    return render_template(
        "indexation/preview.html",
        program=program,
        year=year,
        rate=rate,
        rule=rule_of(program),
        page=paginate_list(lines),
        summary=totals(lines),
        live=queries.live_run(program, year),
        create_form=create_form,
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
            rate_percent if line.is_kept else "",
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
    form = CreateRunForm()
    program = _program(form.program.data or "")
    year = _year(form.fiscal_year.data)
    permissions.ensure(year is not None)
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré ; recommencez."), "error")
        return redirect(url_for("indexation.preview", program=program.code, fiscal_year=str(year)))
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
    statement = queries.lines_of(run)
    if request.args.get("format") == "csv":
        lines = db.session.scalars(statement).all()
        return _csv(f"indexation-{run.program.code}-{run.fiscal_year}.csv", run.rate_percent, lines)
    page = paginate_rows(statement)
    page.items = [row[0] for row in page.items]
    form = RunStepForm()
    form.version.data = run.version
    return render_template(
        "indexation/run.html",
        run=run,
        page=page,
        summary=queries.run_totals(run),
        form=form,
        allowed=set(RUNS.allowed_events(run.status)),
        events=RunEvent,
        can_approve=permissions.can_approve_indexation(current_user, run),
        can_reverse=permissions.can_reverse_indexation(current_user, run),
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
    version = form.version.data
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
    except (operations.RunRefused, ConcurrentChange) as refused:
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
    line = permissions.permitted(
        db.session.get(IndexationLine, line_id), permissions.can_read_indexation_notice
    )
    return download(line.notice, inline=True)


def _rule_form(rule: IndexationRule | None, **kwargs: Any) -> RuleForm:
    form = RuleForm(obj=rule, **kwargs)
    form.series_id.choices = [
        (s.id, s.name) for s in db.session.scalars(db.select(CpiSeries).order_by(CpiSeries.name))
    ]
    return form


def _rule_page(
    program: Program, rule: IndexationRule | None, form: RuleForm, rate_form: FixedRateForm
) -> Any:
    """The rule page: the rule (a form for who may change it) and the fixed rates."""
    return render_template(
        "indexation/rule.html",
        program=program,
        rule=rule,
        form=form,
        rate_form=rate_form,
        can_edit=permissions.can_edit_indexation_rule(current_user, program),
        rate_problems=_rate_problems(rule),
    )


@blueprint.route("/programmes/<code>/regle", methods=["GET", "POST"])
@permissions.require_staff()
def rule(code: str) -> Any:
    program = _program(code)
    current = rule_of(program) or operations.new_rule(program)
    form = _rule_form(current)
    if request.method == "POST":
        permissions.ensure(permissions.can_edit_indexation_rule(current_user, program))
        if form.validate_on_submit():
            values = {name: getattr(form, name).data for name in operations.RULE_FIELDS}
            operations.save_rule(program, current, values, actor=current_user)
            db.session.commit()
            flash(_("La règle d'indexation est enregistrée."), "success")
            return redirect(url_for("indexation.rule", code=code))
        return _rule_page(program, current, form, FixedRateForm(prefix="fixed")), 422
    return _rule_page(program, current, form, FixedRateForm(prefix="fixed"))


@blueprint.post("/programmes/<code>/taux-fixes")
@permissions.require_staff()
def fixed_rate(code: str) -> Any:
    program = _program(code)
    permissions.ensure(permissions.can_edit_indexation_rule(current_user, program))
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
    return _rule_page(program, current, _rule_form(current), form), 422


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
    lines = {line.run.fiscal_year: line for line in queries.applied_lines_of(agreement.id)}
    rows = [(year, lines.get(year.fiscal_year)) for year in agreement.years]
    html = render_template("indexation/_agreement_indexation.html", rows=rows)
    return [agreement_signals.PageSection(20, Markup(html))]
