"""`grants cpi import FILE` and `grants cpi rate`: the CPI from the command line, plain text out."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from grants.core.db import db


@click.group()
def cpi() -> None:
    """Consumer price index series (Statistics Canada table 18-10-0004-01)."""


@cpi.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--geo", "geography", default="Quebec", show_default=True, help="GEO to keep (Quebec, Québec…)."
)
@click.option(
    "--product", default="All-items", show_default=True, help="Product to keep (All-items, Ensemble…)."
)
@click.option("--series", "series_name", default=None, help="Series name (default: from geo and product).")
@with_appcontext
def import_command(file: str, geography: str, product: str, series_name: str | None) -> None:
    """Import a StatCan CSV (database-loading in English or French, or English as displayed).
    The whole file is checked first: on any problem nothing is imported and the exit code is 1."""
    from pathlib import Path

    from grants.cpi.operations import import_csv
    from grants.cpi.statcan import CsvRefused

    try:
        report = import_csv(
            Path(file).read_bytes(),
            geography=geography,
            product=product,
            series_name=series_name,
            file_name=Path(file).name,
        )
        db.session.commit()
    except CsvRefused as refused:
        db.session.rollback()
        click.echo(f"refused, nothing imported: {refused.message}", err=True)
        sys.exit(1)
    click.echo(
        f"{report.series.name}: {report.added} added, {report.changed} revised, {report.unchanged} unchanged "
        f"({report.first:%Y-%m} to {report.last:%Y-%m})"
    )


@cpi.command("rate")
@click.option("--series", "series_name", default="quebec-all-items", show_default=True)
@click.option(
    "--method",
    type=click.Choice(["annual-average", "twelve-month", "moving-average"]),
    default="annual-average",
    show_default=True,
)
@click.option("--year", type=int, help="Calendar year (annual-average).")
@click.option("--month", help="Reference month YYYY-MM (twelve-month, moving-average).")
@click.option("--decimals", type=click.IntRange(1, 6), default=1, show_default=True)
@click.option("--explain", is_flag=True, help="Also print the CPI values the rate came from.")
@with_appcontext
def rate_command(
    series_name: str, method: str, year: int | None, month: str | None, decimals: int, explain: bool
) -> None:
    """Print a rate of change in percent (e.g. 2.4). A missing month exits 1 with the months named."""
    from grants.cpi import rates
    from grants.cpi.months import parse_month
    from grants.cpi.operations import series_named, values_of

    series = series_named(series_name)
    if series is None:
        raise click.UsageError(f"no series named {series_name!r}")
    values = values_of(series)
    options = {"series": series.name, "decimals": decimals}
    try:
        if method == "annual-average":
            if year is None:
                raise click.UsageError("--year is required with --method annual-average")
            rate = rates.annual_average(values, year, **options)
        else:
            if not month:
                raise click.UsageError(f"--month YYYY-MM is required with --method {method}")
            try:
                reference = parse_month(month)
            except ValueError as error:
                raise click.UsageError(str(error)) from None
            compute = rates.twelve_month if method == "twelve-month" else rates.moving_average
            rate = compute(values, reference, **options)
    except rates.MissingMonths as missing:
        click.echo(missing.message, err=True)
        sys.exit(1)
    click.echo(str(rate.percent))
    if explain:
        for item in rate.inputs:
            click.echo(f"{item.label}\t{item.value}")
