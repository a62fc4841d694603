"""`grants reports …`: rebuild the report schedules, hold the installments of late reports (what
a daily beat task calls), and send the reminders due on a day (`reminders --on DATE [--dry-run]`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from grants.core.db import db


@click.group("reports")
def reports() -> None:
    """Accountability reports."""


@reports.command("schedule")
@with_appcontext
def schedule_command() -> None:
    """Create or bring up to date the reports of every agreement in force (idempotent)."""
    from grants.accountability.operations import schedule_all

    changed = schedule_all()
    db.session.commit()
    click.echo(f"{changed} agreement(s) changed")


@reports.command("hold-late")
@with_appcontext
def hold_late_command() -> None:
    """Hold the next installments of every report late past its program's grace period (once)."""
    from grants.accountability.operations import hold_late_reports

    held = hold_late_reports()
    db.session.commit()
    for report in held:
        click.echo(
            f"report {report.id} ({report.agreement.number}, {report.kind} {report.fiscal_year}) holds"
        )
    click.echo(f"{len(held)} late report(s) now hold installments")


@reports.command("reminders")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The scan's day (default: today in Quebec)."
)
@click.option("--dry-run", is_flag=True, help="Print what is due that day; queue nothing.")
@with_appcontext
def reminders_command(on, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    """Print one line per reminder due that day (report, step, recipient) and queue them."""
    from grants.accountability import reminders

    day = on.date() if on is not None else None
    if dry_run:
        lines = reminders.preview(day)
        for line in lines:
            click.echo(str(line))
        click.echo(f"{len(lines)} email(s) due, nothing queued (--dry-run)")
        return
    result = reminders.scan(day, collect=True)
    db.session.commit()
    for line in result.lines:
        click.echo(str(line))
    click.echo(f"{result.reminders} reminder(s) claimed, {result.emails} email(s) queued for {result.on}")


@reports.command("pdf")
@click.option("--program", "program_code", required=True, help="Program code, e.g. TNCES.")
@click.option("--fiscal-year", "fiscal_year", required=True, help="Fiscal year, e.g. 2026-2027.")
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="PDF file to write."
)
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@with_appcontext
def pdf_command(program_code: str, fiscal_year: str, output: str, language: str) -> None:
    """Write the program report of a fiscal year (the same file the officers' page builds)."""
    from pathlib import Path

    from pypdf import PdfReader

    from grants.accountability.program_report import program_by_code, render
    from grants.fiscal import FiscalYear

    program = program_by_code(program_code)
    if program is None:
        raise click.ClickException(f"no program with the code {program_code}")
    try:
        year = FiscalYear.parse(fiscal_year)
    except ValueError as error:
        raise click.ClickException(f"not a fiscal year: {fiscal_year} (write it 2026-2027)") from error
    data = render(program, year, language=language)
    Path(output).write_bytes(data)
    import io

    pages = len(PdfReader(io.BytesIO(data)).pages)
    click.echo(f"{output}: {program.code} {year}, {pages} page(s), {len(data)} bytes")
