"""`grants indexation preview`: the lines a program's indexation would touch, as text or CSV.

Exit status: 0 for a preview; 1 when the rate cannot be had (the reason on stderr); 3 when the
fiscal year is already applied: the message says so on stderr and the figures printed are the
applied run's, as frozen when it was applied (a new preview would compound them a second time).
"""

from __future__ import annotations

import csv
import sys
from typing import Any

import click
from flask.cli import with_appcontext

EXIT_REFUSED = 1
EXIT_ALREADY_APPLIED = 3


@click.group()
def indexation() -> None:
    """Yearly CPI indexation of multi-year grants."""


@indexation.command("preview")
@click.option("--program", "code", required=True, help="Program code, e.g. TNCES.")
@click.option("--fiscal-year", "year_text", required=True, help="e.g. 2027-2028.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (amounts as plain decimals) instead of a table.")
@with_appcontext
def preview_command(code: str, year_text: str, as_csv: bool) -> None:
    """Compute the preview now (nothing is stored or changed). Exit 1 when the rate cannot be had;
    exit 3 when the year is already applied (the applied run's figures are printed)."""
    from grants.core.db import db
    from grants.cpi.rates import MissingMonths, input_label
    from grants.fiscal import FiscalYear
    from grants.indexation.models import IndexationLine
    from grants.indexation.operations import AlreadyApplied, preview
    from grants.indexation.preview import totals
    from grants.indexation.queries import run_totals
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
    except AlreadyApplied as applied:
        run = applied.run
        click.echo(
            f"{program.code} {year}: already applied (run {run.id}, {run.applied_at:%Y-%m-%d}); "
            "these are its figures, nothing was recomputed.",
            err=True,
        )
        applied_lines = db.session.scalars(
            db.select(IndexationLine).filter_by(run_id=run.id).order_by(IndexationLine.id)
        ).all()
        _print(
            f"{program.code} {year}: applied rate {run.rate_percent} % "
            f"({run.rate.get('method', '')} {run.rate.get('period', '')})",
            [(input_label(i), i["value"]) for i in run.rate.get("inputs", [])],
            run.rate_percent,
            applied_lines,
            run_totals(run),
            as_csv,
        )
        sys.exit(EXIT_ALREADY_APPLIED)
    except (MissingMonths, NoRate) as error:
        click.echo(error.message, err=True)
        sys.exit(EXIT_REFUSED)
    _print(
        f"{program.code} {year}: rate {rate.percent} % ({rate.method.value} {rate.period})",
        [(item.label, item.value) for item in rate.inputs],
        rate.percent,
        lines,
        totals(lines),
        as_csv,
    )


def _print(
    title: str, inputs: list[Any], rate_percent: Any, lines: list[Any], summary: Any, as_csv: bool
) -> None:
    """The lines (of a preview or of an applied run) as a table or CSV."""
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
            getattr(line, "organization", None) or line.agreement.organization.legal_name,
            getattr(line, "agreement_number", None) or line.agreement.number,
            line.base_amount,
            rate_percent if line.is_kept else "",
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
    click.echo(title)
    for label, value in inputs:
        click.echo(f"  {label}: {value}")
    for row in rows:
        click.echo("  ".join(str(cell) for cell in row))
    click.echo(
        f"{summary.grants} grants, {summary.indexed} indexed, {summary.excluded} excluded; "
        f"total {summary.base} -> {summary.new} (+{summary.difference})"
    )
