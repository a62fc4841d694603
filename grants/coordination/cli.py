"""`grants dedupe` and `grants coordination import`.

`grants dedupe`: duplicated funding from a CSV file, in batch, without the database.

Reads the import format (see `records`), writes `record_id_a,record_id_b,score` for every
suspected pair (each once) and, with `--entities`, `record_id,entity_id` for every good line.
Bad lines are reported on standard error with their number and reason; the good ones are kept.
It never builds the web application: only click here; the engine is imported when the command runs.
"""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

MAX_ERRORS_SHOWN = 20


@click.command("dedupe")
@click.option(
    "--input", "input_path", required=True, type=click.Path(dir_okay=False), help="Funding lines (CSV)."
)
@click.option(
    "--output", "output_path", required=True, type=click.Path(dir_okay=False), help="pairs.csv to write."
)
@click.option(
    "--entities",
    "entities_path",
    type=click.Path(dir_okay=False),
    help="Also write record_id,entity_id here.",
)
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def dedupe(input_path: str, output_path: str, entities_path: str | None, language: str) -> None:
    """Find duplicated funding across ministries in a CSV of funding lines (no database needed)."""
    from grants.coordination.batch import run_batch

    started = time.perf_counter()
    progress = _Progress(enabled=sys.stderr.isatty())
    outcome = run_batch(input_path, output_path, entities_path, progress=progress.say, language=language)
    progress.clear()
    if outcome.refused is not None:
        click.echo(
            ("refused, nothing loaded: " if language == "en" else "refusé, rien n'est chargé : ")
            + outcome.refused,
            err=True,
        )
        sys.exit(1)
    for message in outcome.errors[:MAX_ERRORS_SHOWN]:
        click.echo(message, err=True)
    if len(outcome.errors) > MAX_ERRORS_SHOWN:
        more = len(outcome.errors) - MAX_ERRORS_SHOWN
        click.echo(
            f"… and {more} more bad lines" if language == "en" else f"… et {more} autres lignes refusées",
            err=True,
        )
    seconds = time.perf_counter() - started
    if language == "en":
        click.echo(
            f"{outcome.records} records ({len(outcome.errors)} bad lines left out), "
            f"{outcome.entities} organizations, "
            f"{outcome.pairs} pairs, {seconds:.1f} s"
        )
    else:
        click.echo(
            f"{outcome.records} lignes ({len(outcome.errors)} refusées), {outcome.entities} organismes, "
            f"{outcome.pairs} paires, {seconds:.1f} s".replace(".", ",")
        )


class _Progress:
    """One self-erasing status line on a terminal; silent when the output is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            sys.stderr.write(f"\r\033[K[{elapsed:6.1f} s] {message}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


@click.group("coordination")
def coordination() -> None:
    """The coordination cell: import other ministries' funding, match organizations and flags."""


@coordination.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "email", help="The account the import is recorded under (audit trail).")
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@with_appcontext
def import_command(file: str, email: str | None, language: str) -> None:
    """Load a CSV of other ministries' funding now (the page's import, without Celery); exits 1
    when the file is refused."""
    from pathlib import Path

    sys.exit(_import(Path(file), email, language))


def _import(path, email: str | None, language: str) -> int:  # type: ignore[no-untyped-def]
    from grants.coordination.imports import load_file, refresh_matching
    from grants.coordination.models import ImportStatus
    from grants.coordination.records import Problem
    from grants.core.db import db

    actor = None
    if email:
        from grants.accounts.models import User

        actor = db.session.execute(
            db.select(User).filter_by(email=email.strip().lower())
        ).scalar_one_or_none()
        if actor is None:
            raise click.ClickException(f"no account with the email {email}")
    started = time.perf_counter()
    progress = _Progress(enabled=sys.stderr.isatty())
    word = "lines read" if language == "en" else "lignes lues"
    outcome = load_file(
        path.read_bytes(), path.name, actor=actor, progress=lambda done: progress.say(f"{done} {word}")
    )
    db.session.commit()
    progress.clear()
    funding_import = outcome.funding_import
    if ImportStatus(funding_import.status) is ImportStatus.REFUSED:
        reason = Problem(funding_import.refusal_code, dict(funding_import.refusal_params)).message(language)
        click.echo(
            ("refused, nothing loaded: " if language == "en" else "refusé, rien n'est chargé : ") + reason,
            err=True,
        )
        return 1
    for error in outcome.errors[:MAX_ERRORS_SHOWN]:
        click.echo(error.message(language), err=True)
    if len(outcome.errors) > MAX_ERRORS_SHOWN:
        more = len(outcome.errors) - MAX_ERRORS_SHOWN
        click.echo(
            f"… and {more} more bad lines" if language == "en" else f"… et {more} autres lignes refusées",
            err=True,
        )
    seconds = time.perf_counter() - started
    loaded, unchanged, refused = (
        funding_import.lines_loaded,
        funding_import.lines_unchanged,
        funding_import.lines_refused,
    )
    if language == "en":
        click.echo(
            f"{loaded} lines loaded, {unchanged} unchanged, {refused} refused "
            f"(import {funding_import.id}, {seconds:.1f} s)"
        )
    else:
        click.echo(
            f"{loaded} lignes chargées, {unchanged} inchangées, {refused} refusées "
            f"(importation {funding_import.id}, {seconds:.1f} s)".replace(".", ",")
        )
    if loaded:
        refresh_matching(actor)
    return 0


@coordination.command("match")
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@with_appcontext
def match_command(language: str) -> None:
    """Match organizations and find the flags again (what the cell's background job runs)."""
    from grants.coordination.matching_run import STEPS, refresh_matching
    from grants.core.db import db

    started = time.perf_counter()
    summary = refresh_matching(lambda done, message: click.echo(f"[{done}/{STEPS}] {message}", err=True))
    db.session.commit()
    seconds = time.perf_counter() - started
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.by_kind.items())) or "0"
    if language == "en":
        click.echo(
            f"{summary.lines} funding lines, {summary.parties} parties, {summary.entities} organizations, "
            f"{summary.pairs} pairs; flags: {kinds} ({summary.flags_new} new, {summary.flags_gone} no longer "
            f"found); {seconds:.1f} s"
        )
    else:
        click.echo(
            f"{summary.lines} lignes de financement, {summary.parties} parties, "
            f"{summary.entities} organismes, "
            f"{summary.pairs} paires ; signalements : {kinds} ({summary.flags_new} nouveaux, "
            f"{summary.flags_gone} plus trouvés) ; {seconds:.1f} s".replace(".", ",")
        )
