"""The `grants` command: Flask's CLI with the project's own groups (seed, users, bootstrap, cpi,
indexation).

Every command is known without building the application, so `grants --help` is quick, and the
commands that only read and compute (`cpi`, `indexation`) get the application without its pages,
sign-in or Celery (`create_app(web=False)`): they start in a fraction of a second.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from grants.coordination.cli import dedupe
from grants.core.db import db

# Top-level commands that need the database and the models, not the web stack.
LIGHT_COMMANDS = frozenset({"cpi", "indexation"})


def _create_app() -> Flask:
    from grants import create_app

    return create_app(web=_invoked_command() not in LIGHT_COMMANDS)


def _invoked_command() -> str | None:
    """The top-level command being run (`cpi` for `grants cpi rate`), when the app is asked for."""
    context = click.get_current_context(silent=True)
    names = []
    while context is not None:
        names.append(context.info_name)
        context = context.parent
    return names[-2] if len(names) >= 2 else None


class GrantsGroup(FlaskGroup):
    """Flask's group, listing its commands without loading the application (all are its own),
    and without scanning every installed package for `flask.commands` plugins (none is used:
    Flask-Migrate's `db` is registered below)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(click.Group.list_commands(self, ctx))

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


class MigrationsGroup(click.Group):
    """Flask-Migrate's `db` group, imported when it is run (Alembic is slow to import): listed
    with its one-line help, it hands over to the real group as soon as it is invoked."""

    def __init__(self) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        from flask_migrate.cli import db as migrations

        return migrations.make_context(info_name, args, parent=parent, **extra)


@click.group(cls=GrantsGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Subventions: grant program management (run `grants --help` for the commands)."""


main.add_command(dedupe)  # needs neither the app nor the database


def register_commands(app: Flask) -> None:
    """The project's commands on the application too (`flask --app grants …`)."""
    for command in project_commands():
        app.cli.add_command(command)


def project_commands() -> list[click.Command]:
    from grants.accountability.cli import reports
    from grants.coordination.cli import coordination
    from grants.cpi.cli import cpi
    from grants.indexation.cli import indexation

    return [seed, users, bootstrap, cpi, indexation, reports, coordination]


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
    from grants.accounts.passwords import minimum_length
    from grants.core.roles import MemberRole, StaffRole
    from grants.organizations.models import Organization
    from grants.programs.models import Program

    if find_user(email) is not None:
        raise click.ClickException(f"a user with the address {email} already exists")
    if len(password) < minimum_length():
        raise click.ClickException(f"the password needs at least {minimum_length()} characters")
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


for _command in project_commands():
    main.add_command(_command)
main.add_command(MigrationsGroup())
