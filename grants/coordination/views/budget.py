"""The cell's pages: the budget by plan axis and measure (with its floor setting, CSV exports and the
PDF built in the background) and the cumulative aid per organization and fiscal year."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from grants.agreements.obligations import AUDIT_THRESHOLD, REVIEW_THRESHOLD, StatementType
from grants.coordination import budget, budget_report, cumulative_aid
from grants.coordination.forms import BudgetReportForm, FloorForm
from grants.coordination.views import blueprint
from grants.core import jobs, permissions
from grants.core.db import db
from grants.core.formatting import money_short, percent
from grants.core.listing import QueryFilters, SortSpec, csv_response, paginate_rows
from grants.core.money import round_cent
from grants.files.models import StoredFile
from grants.files.storage import download
from grants.fiscal import FiscalYear


def _plan() -> Any:
    return permissions.found(budget.dashboard_plan())


def _period_choices(plan: Any) -> list[tuple[str, str]]:
    choices = [(str(y.start_year), str(y)) for y in budget.plan_years(plan)]
    choices.append((budget.WHOLE_PLAN, _("Ensemble du plan %(code)s", code=plan.code)))
    return choices


def _render(period: budget.Period, *, floor_form: FloorForm | None = None, status: int = 200) -> Any:
    dashboard = budget.gather(period)
    if floor_form is None:
        floor_form = FloorForm(formdata=None)
        floor_form.floor.data = dashboard.floor
    report_form = BudgetReportForm(formdata=None, choices=_period_choices(period.plan))
    report_form.period.data = period.key
    recent = budget_report.latest(limit=1)
    return render_template(
        "coordination/budget.html",
        dashboard=dashboard,
        period=period,
        choices=_period_choices(period.plan),
        floor_form=floor_form,
        report_form=report_form,
        current=recent[0] if recent else None,
        money_short=money_short,
        percent=percent,
    ), status


@blueprint.get("/budget/", endpoint="budget")
def budget_page() -> Any:
    plan = _plan()
    return _render(budget.period_of(request.args.get("exercice"), plan))


@blueprint.post("/budget/plancher", endpoint="budget_floor")
def budget_floor() -> Any:
    plan = _plan()
    period = budget.period_of(request.form.get("exercice"), plan)
    form = FloorForm()
    if not form.validate_on_submit():
        return _render(period, floor_form=form, status=422)
    if budget.set_floor(form.floor.data, actor=current_user):
        db.session.commit()
        flash(
            _(
                "Le plancher de l'axe des personnes victimes est maintenant de %(floor)s.",
                floor=percent(form.floor.data / 100, decimals=_decimals(form.floor.data)),
            ),
            "success",
        )
    else:
        flash(_("Le plancher n'a pas changé."), "info")
    return redirect(url_for("coordination.budget", exercice=period.key), 303)


def _decimals(value: Any) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent))


# -- CSV exports, one per table -----------------------------------------------------------------------
@dataclass(frozen=True)
class CsvTable:
    file: str
    header: list[Any]
    rows: Callable[[budget.Dashboard], list[list[Any]]]


def _axis_rows(d: budget.Dashboard) -> list[list[Any]]:
    return [
        [
            a.axis.code,
            d.title(a.axis),
            _("oui") if a.axis.victims_axis else _("non"),
            a.ours,
            a.others,
            a.committed,
            _share(a.share),
            a.paid,
        ]
        for a in d.axes
    ]


def _measure_rows(d: budget.Dashboard) -> list[list[Any]]:
    return [
        [a.axis.code, m.measure.number, d.title(m.measure), m.ours, m.others, m.committed, m.paid]
        for a, m in d.measures
    ]


def _coverage_rows(d: budget.Dashboard) -> list[list[Any]]:
    return [[c.axis.code, d.title(c.axis), c.linked, c.answered, _share(c.ratio)] for c in d.coverage]


def _unanswered_rows(d: budget.Dashboard) -> list[list[Any]]:
    return [
        [u.recommendation.number, d.summary(u.recommendation), " ".join(m.number for m in u.measures)]
        for u in d.unanswered
    ]


def _share(value: Any) -> Any:
    """A share in a CSV: a plain percentage with two decimals (`18.75`), empty when there is none."""
    return None if value is None else round_cent(value * 100)


CSV_TABLES = {
    "axes": CsvTable(
        "budget-axes",
        [
            _l("Axe"),
            _l("Titre"),
            _l("Axe des personnes victimes"),
            _l("Engagé, nos subventions"),
            _l("Engagé, autres ministères"),
            _l("Engagé, total"),
            _l("Part (%)"),
            _l("Versé, nos subventions"),
        ],
        _axis_rows,
    ),
    "mesures": CsvTable(
        "budget-mesures",
        [
            _l("Axe"),
            _l("Mesure"),
            _l("Titre"),
            _l("Engagé, nos subventions"),
            _l("Engagé, autres ministères"),
            _l("Engagé, total"),
            _l("Versé, nos subventions"),
        ],
        _measure_rows,
    ),
    "couverture": CsvTable(
        "recommandations-par-axe",
        [
            _l("Axe"),
            _l("Titre"),
            _l("Recommandations visées"),
            _l("Recommandations financées"),
            _l("Couverture (%)"),
        ],
        _coverage_rows,
    ),
    "sans-reponse": CsvTable(
        "recommandations-sans-mesure-financee",
        [_l("Recommandation"), _l("Texte"), _l("Mesures du plan (non financées)")],
        _unanswered_rows,
    ),
}


@blueprint.get("/budget/<name>.csv", endpoint="budget_csv")
def budget_csv(name: str) -> Any:
    table = CSV_TABLES.get(name)
    if table is None:
        abort(404)
    period = budget.period_of(request.args.get("exercice"), _plan())
    dashboard = budget.gather(period)
    return csv_response(
        f"{table.file}-{period.key}.csv",
        [str(h) for h in table.header],
        table.rows(dashboard),
        lambda row: row,
    )


# -- the PDF, built in the background ----------------------------------------------------------------
@blueprint.route("/budget/rapport", methods=["GET", "POST"], endpoint="budget_report")
def budget_report_page() -> Any:
    plan = _plan()
    choices = _period_choices(plan)
    form = BudgetReportForm(choices=choices)
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "GET":
            form.period.data = budget.period_of(request.args.get("exercice"), plan).key
        recent = budget_report.latest()
        return render_template(
            "coordination/budget_report.html",
            form=form,
            recent=recent,
            current=recent[0] if recent else None,
            refresh=bool(recent and recent[0].is_active),
            period_label=dict(choices),
        ), (200 if request.method == "GET" else 422)
    period = budget.period_of(form.period.data, plan)
    job = budget_report.start_budget_report(current_user, period, language=form.language.data)
    db.session.commit()
    if jobs.queue_job(budget_report.TASK_NAME, job):
        flash(_("Le rapport est en préparation ; cette page se met à jour d'elle-même."), "success")
    else:
        flash(_("Le rapport attend que le service de traitement soit disponible."), "error")
    return redirect(url_for("coordination.budget_report"), 303)


@blueprint.get("/budget/rapport/<int:job_id>.pdf", endpoint="budget_report_file")
def budget_report_file(job_id: int) -> Any:
    job = jobs.job_for(job_id)
    permissions.ensure(
        job is not None
        and job.kind == budget_report.JOB_KIND
        and job.is_done
        and job.result_file_id is not None
    )
    return download(permissions.found(db.session.get(StoredFile, job.result_file_id)))


# -- cumulative aid ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AidFilters(QueryFilters):
    organisme: str = ""
    exercice: str = ""
    etats: str = ""
    autres: str = ""

    @property
    def fiscal_year(self) -> FiscalYear | None:
        try:
            return FiscalYear.parse(self.exercice) if self.exercice else None
        except ValueError:
            return None


AID_CSV: list[tuple[Any, Callable[[Any], Any]]] = [
    (_l("Organisme"), lambda r: r.organization),
    (_l("NEQ"), lambda r: r.neq),
    (_l("Exercice financier"), lambda r: r.fiscal_year),
    (_l("Nos subventions"), lambda r: r.ours),
    (_l("Autres ministères"), lambda r: r.others),
    (_l("Aide cumulative"), lambda r: r.total),
    (_l("États financiers exigés"), lambda r: StatementType(r.statement).label),
    (_l("Selon nos seules subventions"), lambda r: StatementType(r.statement_ours).label),
]


@blueprint.get("/aide-cumulative/", endpoint="cumulative_aid")
def cumulative_aid_page() -> Any:
    filters = AidFilters.from_args(request.args)
    statement, sortable = cumulative_aid.aid_statement()
    sort = SortSpec(sortable, "organization")
    statement = cumulative_aid.filtered(
        statement,
        name=filters.organisme[:200],
        fiscal_year=filters.fiscal_year,
        statement_kind=filters.etats,
        others_only=filters.autres == "1",
    )
    statement = sort.apply(statement).order_by(statement.selected_columns.fiscal_year)
    if request.args.get("format") == "csv":
        rows = db.session.execute(statement).all()
        header = [str(title) for title, _cell in AID_CSV]
        return csv_response("aide-cumulative.csv", header, rows, lambda r: [cell(r) for _t, cell in AID_CSV])
    page = paginate_rows(statement)
    return render_template(
        "coordination/cumulative_aid.html",
        page=page,
        filters=filters,
        sort=sort.current(),
        years=cumulative_aid.years_known(),
        kinds=list(StatementType),
        statement_label=lambda value: StatementType(value).label,
        # Variables, not literals in the template: Jinja folds a filter on a constant once, in the
        # language of the first page it renders.
        thresholds={
            "low": REVIEW_THRESHOLD - 1,
            "review": REVIEW_THRESHOLD,
            "high": AUDIT_THRESHOLD - 1,
            "audit": AUDIT_THRESHOLD,
        },
    )
