"""The CPI page: the series month by month with each year's annual-average change, a StatCan CSV
import and a hand entry of one month (administrators), each audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.core import formatting, permissions
from grants.core.db import db
from grants.core.listing import csv_response
from grants.core.roles import StaffRole
from grants.cpi import operations, rates
from grants.cpi.forms import ImportForm, MonthForm
from grants.cpi.models import CpiSeries
from grants.cpi.months import parse_month
from grants.cpi.statcan import CsvRefused

blueprint = Blueprint("cpi", __name__, url_prefix="/ipc")


def _series(name: str) -> CpiSeries:
    series = operations.series_named(name)
    permissions.ensure(series is not None)
    return series  # type: ignore[return-value]


def _years(series: CpiSeries) -> list[dict[str, Any]]:
    values = operations.values_of(series)
    years = sorted({m.year for m in values}, reverse=True)
    table = []
    for year in years:
        months = [values.get(m) for m in (parse_month(f"{year}-{n:02d}") for n in range(1, 13))]
        try:
            change = rates.annual_average(values, year).percent
        except rates.MissingMonths:
            change = None
        table.append({"year": year, "months": months, "change": change})
    return table


def _render(series: CpiSeries, import_form: ImportForm, month_form: MonthForm, status: int = 200) -> Any:
    return render_template(
        "cpi/series.html",
        series=series,
        all_series=db.session.scalars(db.select(CpiSeries).order_by(CpiSeries.name)).all(),
        years=_years(series),
        import_form=import_form,
        month_form=month_form,
        can_edit=permissions.is_admin(current_user),
    ), status


@blueprint.get("/")
@permissions.require_staff()
def index() -> Any:
    return redirect(url_for("cpi.series", name=request.args.get("serie", operations.DEFAULT_SERIES)))


@blueprint.get("/<name>")
@permissions.require_staff()
def series(name: str) -> Any:
    found = _series(name)
    if request.args.get("format") == "csv":
        return csv_response(
            f"ipc-{found.name}.csv",
            [_("Mois"), _("Valeur de l'IPC")],
            sorted(operations.values_of(found).items()),
            lambda item: [item[0].strftime("%Y-%m"), str(item[1])],
        )
    return _render(found, ImportForm(prefix="import"), MonthForm(prefix="month"))


@blueprint.post("/<name>/import")
@permissions.require_staff(StaffRole.SYSTEM_ADMIN)
def import_file(name: str) -> Any:
    current = _series(name)
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        return _render(current, form, MonthForm(prefix="month"), 422)
    upload = form.file.data
    try:
        report = operations.import_csv(
            upload.read(),
            geography=form.geography.data.strip(),
            product=form.product.data.strip(),
            series_name=current.name,
            file_name=upload.filename or "",
            actor=current_user,
        )
        db.session.commit()
    except CsvRefused as refused:
        db.session.rollback()
        form.file.errors = [_("Fichier refusé, rien n'a été importé. %(reason)s", reason=refused.message)]
        return _render(_series(name), form, MonthForm(prefix="month"), 422)
    flash(
        _(
            "Import terminé : %(added)s mois ajoutés, %(changed)s corrigés, %(same)s identiques "
            "(%(first)s à %(last)s).",
            added=report.added,
            changed=report.changed,
            same=report.unchanged,
            first=formatting.month_name(report.first),
            last=formatting.month_name(report.last),
        ),
        "success",
    )
    return redirect(url_for("cpi.series", name=name))


@blueprint.post("/<name>/mois")
@permissions.require_staff(StaffRole.SYSTEM_ADMIN)
def set_month(name: str) -> Any:
    current = _series(name)
    form = MonthForm(prefix="month")
    if form.validate_on_submit():
        try:
            value = Decimal(form.value.data.strip().replace(",", ".").replace("\u00a0", ""))
            operations.set_month(
                current, parse_month(form.month.data), value, reason=form.reason.data, actor=current_user
            )
            db.session.commit()
            flash(
                _(
                    "Le mois %(month)s est enregistré.",
                    month=formatting.month_name(parse_month(form.month.data)),
                ),
                "success",
            )
            return redirect(url_for("cpi.series", name=name))
        except InvalidOperation:
            form.value.errors = [_("Un indice est un nombre positif, par exemple 166,9.")]
        except operations.ValueRefused as refused:
            db.session.rollback()
            form.value.errors = [refused.message]
    return _render(current, ImportForm(prefix="import"), form, 422)
