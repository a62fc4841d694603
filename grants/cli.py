"""The `grants` command: Flask's CLI with the project's own groups (seed, users, bootstrap)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from grants.core.db import db


def _create_app() -> Flask:
    from grants import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Subventions: grant program management (run `grants --help` for the commands)."""


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(users)
    app.cli.add_command(bootstrap)
    from grants.accountability.cli import reports
    from grants.cpi.cli import cpi
    from grants.indexation.cli import indexation

    app.cli.add_command(cpi)
    app.cli.add_command(indexation)
    app.cli.add_command(reports)


@click.group()
def seed() -> None:
    """Load reference or demo data."""


@seed.command("reference")
@with_appcontext
def seed_reference() -> None:
    """Load the plans, measures, CSESM recommendations, regions, nations, programs, the Quebec CPI
    series, the default indexation rules and the programs' report indicators (idempotent)."""
    report = load_reference()
    db.session.commit()
    for line in report.lines():
        click.echo(line)


def load_reference():  # type: ignore[no-untyped-def]
    from grants.accountability.seed import seed_accountability
    from grants.cpi.seed import seed_cpi
    from grants.indexation.seed import seed_rules
    from grants.programs.seed import seed_programs
    from grants.reference.seed import seed_reference_tables
    from grants.review.seed import seed_default_grids

    report = seed_reference_tables().merge(seed_programs())
    report.merge(seed_default_grids()).merge(seed_cpi()).merge(seed_rules())
    return report.merge(seed_accountability())


@seed.command("demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo organizations and accounts (once)."""
    from grants.demo.seed import DEMO_PASSWORD, seed_demo

    accounts = seed_demo()
    db.session.commit()
    _print_accounts(accounts, DEMO_PASSWORD)


def _print_accounts(accounts, password: str) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"Demo accounts (password: {password}):")
    for account in accounts:
        click.echo(f"  {account.email:<36} {account.role}")


@click.command()
@click.option("--demo/--no-demo", default=True, help="Load the demo data set into an empty database.")
@with_appcontext
def bootstrap(demo: bool) -> None:
    """Apply migrations, load reference data, and the demo data set when the database is empty."""
    from flask_migrate import upgrade

    from grants.demo.seed import DEMO_PASSWORD, database_is_empty, demo_loaded, seed_demo

    upgrade()
    report = load_reference()
    db.session.commit()
    if report.changed:
        click.echo("Reference data: " + "; ".join(report.lines()))
    if demo and (database_is_empty() or demo_loaded()):
        accounts = seed_demo()
        db.session.commit()
        _print_accounts(accounts, DEMO_PASSWORD)


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--name", default="", help="Full name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr")
@click.option(
    "--staff-role",
    type=click.Choice(["program_officer", "coordination_cell", "system_admin"]),
    help="A ministry role.",
)
@click.option("--program", "programs", multiple=True, help="Program code (program officers); repeatable.")
@click.option("--organization", "organization_id", type=int, help="Organization id to join.")
@click.option(
    "--member-role",
    type=click.Choice(["account_admin", "contributor", "read_only"]),
    default="contributor",
)
@with_appcontext
def create_user_command(
    email: str,
    name: str,
    password: str,
    language: str,
    staff_role: str | None,
    programs: tuple[str, ...],
    organization_id: int | None,
    member_role: str,
) -> None:
    """Create a user, optionally with a ministry role or an organization membership."""
    from grants.accounts.operations import add_membership, create_user, find_user, grant_staff_role
    from grants.core.roles import MemberRole, StaffRole
    from grants.organizations.models import Organization
    from grants.programs.models import Program

    if find_user(email) is not None:
        raise click.ClickException(f"a user with the address {email} already exists")
    if len(password) < 12:
        raise click.ClickException("the password needs at least 12 characters")
    user = create_user(email, full_name=name, password=password, language=language)
    if staff_role:
        role = StaffRole(staff_role)
        if role is StaffRole.PROGRAM_OFFICER:
            if not programs:
                raise click.ClickException("a program officer needs at least one --program CODE")
            for code in programs:
                program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
                if program is None:
                    raise click.ClickException(f"no program with the code {code}")
                grant_staff_role(user, role, program_id=program.id)
        else:
            grant_staff_role(user, role)
    if organization_id is not None:
        if db.session.get(Organization, organization_id) is None:
            raise click.ClickException(f"no organization with the id {organization_id}")
        add_membership(user, organization_id, MemberRole(member_role))
    db.session.commit()
    click.echo(f"created {user.email} (id {user.id})")
