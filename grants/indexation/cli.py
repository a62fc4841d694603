"""`grants indexation preview`: the lines a program's indexation would touch, as text or CSV."""

from __future__ import annotations

import csv
import sys

import click
from flask.cli import with_appcontext


@click.group()
def indexation() -> None:
    """Yearly CPI indexation of multi-year grants."""


@indexation.command("preview")
@click.option("--program", "code", required=True, help="Program code, e.g. TNCES.")
@click.option("--fiscal-year", "year_text", required=True, help="e.g. 2027-2028.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (amounts as plain decimals) instead of a table.")
@with_appcontext
def preview_command(code: str, year_text: str, as_csv: bool) -> None:
    """Compute the preview now (nothing is stored or changed)."""
    from grants.core.db import db
    from grants.cpi.rates import MissingMonths
    from grants.fiscal import FiscalYear
    from grants.indexation.operations import preview
    from grants.indexation.preview import totals
    from grants.indexation.rules import NoRate
    from grants.programs.models import Program

    program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    if program is None:
        raise click.UsageError(f"no program {code!r}")
    try:
        year = FiscalYear.parse(year_text)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        rate, lines = preview(program, year)
    except (MissingMonths, NoRate) as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    header = [
        "organization",
        "agreement",
        "base_amount",
        "rate_percent",
        "new_amount",
        "difference",
        "excluded",
    ]
    rows = [
        [
            line.organization,
            line.agreement_number,
            line.base_amount,
            "" if line.excluded_reason else rate.percent,
            "" if line.new_amount is None else line.new_amount,
            "" if line.difference is None else line.difference,
            line.excluded_reason,
        ]
        for line in lines
    ]
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    summary = totals(lines)
    click.echo(f"{program.code} {year}: rate {rate.percent} % ({rate.method.value} {rate.period})")
    for item in rate.inputs:
        click.echo(f"  {item.label}: {item.value}")
    for row in rows:
        click.echo("  ".join(str(cell) for cell in row))
    click.echo(
        f"{summary.grants} grants, {summary.indexed} indexed, {summary.excluded} excluded; "
        f"total {summary.base} -> {summary.new} (+{summary.difference})"
    )
