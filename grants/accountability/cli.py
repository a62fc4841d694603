"""`grants reports …`: rebuild the report schedules, and hold the installments of late reports (what
a daily beat task calls)."""

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
