"""Importing other ministries' funding (issue 11, item 1): the operations behind the pages, the
Celery task and the `grants coordination import` command.

- `start_import(file_storage, user)`: the page's upload. The file is checked for what it is (a
  CSV text file, not a PDF or a spreadsheet, within `FUNDING_IMPORT_MAX_BYTES`), stored, and a
  `FundingImport` with its `BackgroundJob` is created; the caller commits, then `queue_import`
  hands the job to Celery (`IMPORT_FUNDING`).
- `load_for_job(job_id)`: what the task runs; `load_file(...)` does the same synchronously (the
  command, the demo seed). Both go through `load()`: the file is read by `records.FundingCsvReader`
  (encoding, header, every line checked); a file-level problem (another encoding, a workbook, a
  missing column, only the header) marks the import `refused` with its reason as a code and its
  parameters (the audit entry keeps the same, said in the reader's language) and loads nothing;
  otherwise each good line is upserted by `(source_ministry, record_id)`
  in batches — a line identical to what is stored counts as unchanged, a new or changed line
  counts as loaded and now belongs to this import (a line it changes that another import loaded
  keeps that import's version, `ExternalFundingVersion`) — and each bad line is kept with its
  number and reason (`ImportLineError`). The whole load is one transaction.
- `withdraw_import(import, user)`: the import's lines go back to the version an earlier import
  still standing loaded, or go when there is none; the import row stays, withdrawn.

Every step is audited. After a load that changed something (and after a withdrawal), the matching
is refreshed in the background when `grants.coordination.matching_run` exists.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, exists, func, insert, select, text, tuple_, update

from grants.coordination import records
from grants.coordination.models import (
    ExternalFunding,
    ExternalFundingVersion,
    FundingImport,
    ImportLineError,
    ImportStatus,
)
from grants.coordination.records import FileRefused, FundingCsvReader, FundingRecord, LineError, Problem
from grants.core import jobs
from grants.core.audit import record
from grants.core.db import db, utcnow
from grants.core.i18n import current_language
from grants.files import storage
from grants.files.models import StoredFile
from grants.files.sniffing import clean_filename, detect

log = logging.getLogger(__name__)

JOB_KIND = "funding_import"
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_funding.csv"
BATCH = 2000  # lines per SELECT / INSERT / UPDATE round
PROGRESS_EVERY = 5000  # lines between two progress reports
ACCEPTED_EXTENSIONS = (".csv", ".txt")
MEDIA_TYPE = "text/csv"
_CENT = Decimal("0.01")
# The stored columns a line carries: equal on all of them, the line is unchanged.
COMPARED = (
    "program",
    "recipient_name",
    "recipient_neq",
    "recipient_city",
    "recipient_region",
    "project_title",
    "description",
    "amount",
    "start_date",
    "end_date",
    "fiscal_year",
    "measure_code",
    "measure_id",
)


class ImportRefused(Exception):
    """An upload or a withdrawal refused; `message` says why, for the person who asked."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class LoadOutcome:
    funding_import: FundingImport
    errors: list[LineError]

    @property
    def refused(self) -> bool:
        return ImportStatus(self.funding_import.status) is ImportStatus.REFUSED


# -- sizes ----------------------------------------------------------------------------------------
def upload_limit() -> int:
    return int(current_app.config.get("FUNDING_IMPORT_MAX_BYTES") or records.UPLOAD_LIMIT_BYTES)


def size_text(size: int) -> str:
    """`100 Mo` / `512 Ko` in French, `100 MB` / `512 KB` in English, for people."""
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    if size >= 1024 * 1024:
        return _("%(size)s Mo", size=format_decimal(round(size / 2**20, 1)))
    return _("%(size)s Ko", size=format_decimal(max(1, round(size / 1024))))


# -- upload -----------------------------------------------------------------------------------------
def check_upload(data: bytes, filename: str) -> str:
    """The cleaned file name, or ImportRefused naming what is wrong: empty, over the size limit,
    not a `.csv`, or binary (a PDF, a spreadsheet, a program) whatever its name."""
    name = clean_filename(filename)
    limit = upload_limit()
    if not data:
        raise ImportRefused(_l("Le fichier « %(name)s » est vide.", name=name))
    if len(data) > limit:
        raise ImportRefused(
            _l(
                "Le fichier « %(name)s » fait %(size)s, plus que la limite de %(limit)s : "
                "découpez-le en plusieurs fichiers.",
                name=name,
                size=size_text(len(data)),
                limit=size_text(limit),
            )
        )
    if not name.lower().endswith(ACCEPTED_EXTENSIONS):
        raise ImportRefused(
            _l(
                "Le fichier « %(name)s » n'est pas un fichier CSV : enregistrez la feuille en « CSV UTF-8 "
                "(délimité par des virgules) » et envoyez ce fichier .csv.",
                name=name,
            )
        )
    try:
        records.check_kind(data[:8])
    except FileRefused as refused:  # a workbook renamed .csv, a UTF-16 text: say which, and what to do
        raise ImportRefused(_sentence(message(refused.problem, current_language()))) from None
    if detect(data) is not None or b"\x00" in data[:8192]:
        raise ImportRefused(
            _l(
                "Le fichier « %(name)s » n'est pas un fichier texte CSV (c'est un document ou un "
                "classeur) : enregistrez-le en « CSV UTF-8 (délimité par des virgules) ».",
                name=name,
            )
        )
    return name


def _sentence(text: str) -> str:
    """A reason as a sentence of its own: `le fichier est…` → `Le fichier est….`"""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "»", "”")) else ".")


def start_import(file_storage: Any, user: Any) -> FundingImport:
    """The page's upload: checked, stored, an import and its job created (flushed, audited).
    The caller commits, then calls `queue_import`. Raises ImportRefused."""
    data = file_storage.read()
    name = check_upload(data, file_storage.filename or "")
    funding_import = _new_import(data, name, user, status=ImportStatus.QUEUED)
    job = jobs.start_job(
        JOB_KIND,
        requested_by=user,
        params={"import_id": funding_import.id},
        total=max(1, data.count(b"\n")),
    )
    funding_import.job_id = job.id
    db.session.flush()
    return funding_import


def queue_import(funding_import: FundingImport) -> bool:
    """Hand the import's job to Celery (after the commit); False when the broker is down."""
    from grants.core.tasks import IMPORT_FUNDING

    job = jobs.job_for(funding_import.job_id) if funding_import.job_id else None
    return job is not None and jobs.queue_job(IMPORT_FUNDING, job)


def _new_import(data: bytes, name: str, user: Any, *, status: ImportStatus) -> FundingImport:
    stored = storage.store(data, original_name=name, media_type=MEDIA_TYPE, uploaded_by=user)
    funding_import = FundingImport(
        file_name=name,
        sha256=stored.sha256,
        file_id=stored.id,
        status=status,
        uploaded_by_id=getattr(user, "id", None),
    )
    db.session.add(funding_import)
    db.session.flush()
    record(
        "funding_import.created",
        funding_import,
        actor=user,
        changes={"file_name": name, "size": len(data), "sha256": stored.sha256},
    )
    return funding_import


# -- loading ------------------------------------------------------------------------------------------
def load_for_job(job_id: int) -> int | None:
    """What the Celery task runs: load the job's import, with progress; the job is done when the
    load commits. On an unexpected error nothing is loaded, the import says so and the job fails."""
    job = jobs.job_for(job_id)
    if job is None or not jobs.claim(job):
        return None  # deleted, ended, or another runner holds it (a task delivered twice)
    funding_import = db.session.execute(select(FundingImport).filter_by(job_id=job_id)).scalar_one_or_none()
    if funding_import is None or ImportStatus(funding_import.status) not in (
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
    ):
        jobs.finish(job)
        db.session.commit()
        return None
    import_id = funding_import.id
    funding_import.status = ImportStatus.RUNNING  # the page says so while the load's work is uncommitted
    db.session.commit()
    try:
        stored = db.session.get(StoredFile, funding_import.file_id) if funding_import.file_id else None
        if stored is None:
            raise RuntimeError("the import's file is gone")
        data = storage.read(stored)
        jobs.advance(job, 0)
        actor = _user(job.requested_by_id)
        outcome = load(
            funding_import,
            data,
            actor=actor,
            progress=lambda done: jobs.advance(job, min(done, job.total or done)),
        )
        jobs.finish(job, actor=actor)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        # The import first: the pages follow the job, which must not end before the import says why.
        # The kind of error only: its text may hold SQL or paths (the worker's log has it all).
        _mark_failed(import_id, type(error).__name__)
        jobs.fail_with(job_id, error)
        raise
    if outcome.funding_import.lines_loaded:
        refresh_matching(actor)
    return import_id


def load_file(
    data: bytes,
    file_name: str,
    *,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
) -> LoadOutcome:
    """Load a file now, in the caller's transaction (the command, the demo seed): the same
    reading, checks and upsert as the task. The caller commits."""
    funding_import = _new_import(data, clean_filename(file_name), actor, status=ImportStatus.RUNNING)
    return load(funding_import, data, actor=actor, progress=progress, max_bytes=max_bytes)


def load(
    funding_import: FundingImport,
    data: bytes,
    *,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
) -> LoadOutcome:
    """Read `data` into the import (flushed, audited, not committed)."""
    funding_import.status = ImportStatus.RUNNING
    try:
        reader = FundingCsvReader(data, max_bytes=max_bytes)
    except FileRefused as refused:
        return _refuse(funding_import, refused.problem, actor)
    measures, plan_label = _measures()
    errors: list[LineError] = []
    loaded = unchanged = 0
    writer = _ErrorWriter(funding_import.id, reader.errors, errors)
    next_report = PROGRESS_EVERY
    batch: list[dict[str, Any]] = []

    def flush_batch() -> None:
        nonlocal loaded, unchanged
        new, same = _upsert(funding_import.id, batch)
        loaded += new
        unchanged += same
        batch.clear()

    for line in reader:
        row = _row(line)
        too_long = _too_long(row)
        if too_long is not None:
            errors.append(LineError(line.line, too_long))
            continue
        if line.measure:
            measure_id = measures.get(_measure_key(line.measure))
            if measure_id is None:
                errors.append(
                    LineError(line.line, Problem("measure", {"value": line.measure, "plan": plan_label}))
                )
                continue
            row["measure_id"] = measure_id
        batch.append(row)
        if len(batch) >= BATCH:
            flush_batch()
            writer.write()
        if progress is not None and reader.lines_read >= next_report:
            progress(reader.lines_read)
            next_report = reader.lines_read + PROGRESS_EVERY
    if batch:
        flush_batch()
    writer.write()
    if reader.lines_read == 0:  # only the header (and blank lines): nothing to load, say so
        return _refuse(funding_import, Problem("no_lines"), actor)
    all_errors = sorted(reader.errors + errors, key=lambda error: error.line)
    funding_import.lines_read = loaded + unchanged + len(all_errors)
    funding_import.lines_loaded = loaded
    funding_import.lines_unchanged = unchanged
    funding_import.lines_refused = len(all_errors)
    funding_import.status = ImportStatus.DONE
    funding_import.finished_at = utcnow()
    db.session.flush()
    if progress is not None:
        progress(reader.lines_read)
    record(
        "funding_import.loaded",
        funding_import,
        actor=actor,
        changes={
            "status": ImportStatus.DONE.value,
            "lines_loaded": loaded,
            "lines_unchanged": unchanged,
            "lines_refused": len(all_errors),
        },
    )
    return LoadOutcome(funding_import, all_errors)


def _refuse(funding_import: FundingImport, problem: Problem, actor: Any) -> LoadOutcome:
    funding_import.status = ImportStatus.REFUSED
    funding_import.refusal_code = problem.code
    funding_import.refusal_params = {key: str(value) for key, value in problem.params.items()}
    funding_import.finished_at = utcnow()
    db.session.flush()
    record(
        "funding_import.refused",
        funding_import,
        actor=actor,
        # The reason as its code and parameters, said in the reader's language where the entry is
        # shown (grants/audit/describe.py); entries before this kept a French `reason`.
        changes={
            "status": ImportStatus.REFUSED.value,
            "refusal_code": funding_import.refusal_code,
            "refusal_params": funding_import.refusal_params,
        },
    )
    return LoadOutcome(funding_import, [])


def _mark_failed(import_id: int, detail: str) -> None:
    """A load that crashed: the import says so (written apart, after the rollback)."""
    with db.engine.begin() as connection:
        connection.execute(
            update(FundingImport.__table__)
            .where(FundingImport.__table__.c.id == import_id)
            .values(
                status=ImportStatus.REFUSED.value,
                refusal_code="load_failed",
                refusal_params={"detail": detail[:300]},
                finished_at=utcnow(),
            )
        )


# The file's columns stored in bounded columns: (key in the row, column in the file, limit).
_BOUNDED = tuple(
    (key, column, ExternalFunding.__table__.c[key].type.length)
    for key, column in (
        ("record_id", "record_id"),
        ("source_ministry", "source_ministry"),
        ("program", "program"),
        ("recipient_name", "recipient_name"),
        ("recipient_city", "recipient_city"),
        ("measure_code", "measure"),
    )
)


def _too_long(row: dict[str, Any]) -> Problem | None:
    for key, column, limit in _BOUNDED:
        if len(row[key]) > limit:
            return Problem("too_long", {"column": column, "length": len(row[key]), "limit": limit})
    return None


def _row(line: FundingRecord) -> dict[str, Any]:
    return {
        "line": line.line,
        "record_id": line.record_id,
        "source_ministry": line.source_ministry,
        "program": line.program,
        "recipient_name": line.recipient_name,
        "recipient_neq": line.recipient_neq,
        "recipient_city": line.recipient_city,
        "recipient_region": line.recipient_region,
        "project_title": line.project_title,
        "description": line.description,
        "amount": line.amount_cad.quantize(_CENT, rounding=ROUND_HALF_UP),
        "start_date": line.start_date,
        "end_date": line.end_date,
        "fiscal_year": line.fiscal_year,
        "measure_code": line.measure or "",
        "measure_id": None,
    }


def _upsert(import_id: int, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert the new lines, update the changed ones (they move to this import, the version
    another import loaded kept first), leave the identical ones: answers (loaded, unchanged). On
    PostgreSQL the batch's keys are looked up in one join on `unnest` and the lines written with
    COPY (see `_PostgresWriter`); elsewhere (SQLite), plain statements."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    keys = [(row["source_ministry"], row["record_id"]) for row in rows]
    existing = {
        (found.source_ministry, found.record_id): found for found in _existing(keys, postgres=postgres)
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row, key in zip(rows, keys, strict=True):
        found = existing.get(key)
        if found is None:
            new.append({**row, "import_id": import_id})
        elif tuple(found)[3:] != tuple(row[name] for name in COMPARED):  # the columns after the key
            changed.append({**row, "import_id": import_id, "id": found.id})
    if postgres:
        writer = _PostgresWriter()
        writer.insert(new)
        writer.update(changed)
    else:
        table = ExternalFunding.__table__
        if new:
            db.session.execute(insert(table), new)
        if changed:
            _keep_versions(table.c.id.in_([row["id"] for row in changed]) & (table.c.import_id != import_id))
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({name: bindparam(f"v_{name}") for name in _UPDATED}),
                [{"b_id": row["id"], **{f"v_{name}": row[name] for name in _UPDATED}} for row in changed],
            )
    return len(new) + len(changed), len(rows) - len(new) - len(changed)


_UPDATED = ("import_id", "line", *COMPARED)
_INSERTED = ("import_id", "line", "record_id", "source_ministry", *COMPARED)
_VERSIONED = ("import_id", "line", *COMPARED)  # what a version keeps, and a restore puts back


def _keep_versions(which: Any) -> None:
    """Copy the lines `which` selects, as they are now, into their versions (one INSERT … SELECT)."""
    table = ExternalFunding.__table__
    db.session.execute(
        insert(ExternalFundingVersion.__table__).from_select(
            ["funding_id", *_VERSIONED],
            select(table.c.id, *(table.c[name] for name in _VERSIONED)).where(which),
        )
    )


def _existing(keys: list[tuple[str, str]], *, postgres: bool) -> Any:
    table = ExternalFunding.__table__
    columns = (table.c.id, table.c.source_ministry, table.c.record_id, *(table.c[name] for name in COMPARED))
    if not postgres:
        return db.session.execute(
            select(*columns).where(tuple_(table.c.source_ministry, table.c.record_id).in_(keys))
        )
    # A long `(a, b) IN (...)` list is slow to plan; a join on two arrays uses the unique index.
    statement = text(
        "SELECT "
        + ", ".join(f"f.{column.name}" for column in columns)
        + " FROM external_funding AS f JOIN unnest(CAST(:ministries AS text[]), CAST(:records AS text[]))"
        " AS k(ministry, record) ON f.source_ministry = k.ministry AND f.record_id = k.record"
    ).columns(*columns)
    return db.session.execute(
        statement, {"ministries": [key[0] for key in keys], "records": [key[1] for key in keys]}
    )


class _PostgresWriter:
    """COPY for the new lines; COPY into a temporary table then one UPDATE … FROM for the changed
    ones: a batch of 2 000 lines is a few round trips, not 2 000."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.raw = self.connection.connection.driver_connection

    @staticmethod
    def _values(row: dict[str, Any], names: tuple[str, ...]) -> list[Any]:
        values = [row[name] for name in names]
        at = names.index("fiscal_year")
        values[at] = values[at].start_year  # FiscalYearType stores the year it starts in
        return values

    def _copy(self, table: str, names: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(self._values(row, names))

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._copy("external_funding", _INSERTED, rows)

    def update(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self.connection.execute(
            text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS funding_import_changes "
                "(LIKE external_funding INCLUDING DEFAULTS) ON COMMIT DROP"
            )
        )
        self.connection.execute(text("TRUNCATE funding_import_changes"))
        names = ("id", *_INSERTED)
        self._copy("funding_import_changes", names, rows)
        columns = ", ".join(_VERSIONED)
        self.connection.execute(  # the version another import loaded, before it is replaced
            text(
                f"INSERT INTO external_funding_versions (funding_id, {columns}) "
                f"SELECT f.id, {', '.join(f'f.{name}' for name in _VERSIONED)} "
                "FROM external_funding AS f JOIN funding_import_changes AS c ON f.id = c.id "
                "WHERE f.import_id <> c.import_id"
            )
        )
        assignments = ", ".join(f"{name} = c.{name}" for name in _UPDATED)
        self.connection.execute(
            text(
                f"UPDATE external_funding AS f SET {assignments} "
                "FROM funding_import_changes AS c WHERE f.id = c.id"
            )
        )


class _ErrorWriter:
    """Writes the bad lines found since its last call, the reader's and the load's (one INSERT)."""

    def __init__(self, import_id: int, reader_errors: list[LineError], own_errors: list[LineError]) -> None:
        self.import_id = import_id
        self.sources = (reader_errors, own_errors)
        self.saved = [0, 0]

    def write(self) -> None:
        fresh: list[LineError] = []
        for index, source in enumerate(self.sources):
            fresh += source[self.saved[index] :]
            self.saved[index] = len(source)
        if fresh:
            db.session.execute(
                insert(ImportLineError.__table__),
                [
                    {
                        "import_id": self.import_id,
                        "line": error.line,
                        "code": error.problem.code,
                        "params": {key: str(value) for key, value in error.problem.params.items()},
                    }
                    for error in fresh
                ],
            )


def _measures() -> tuple[dict[str, int], str]:
    """The measures of the plan in force, by their number (`13`, `A2`), and the plan's name."""
    from grants.reference.models import Measure
    from grants.reference.queries import current_plan

    plan = current_plan()
    if plan is None:
        return {}, "—"
    rows = db.session.execute(select(Measure.number, Measure.id).where(Measure.plan_id == plan.id))
    return {_measure_key(number): measure_id for number, measure_id in rows}, plan.code


def _measure_key(text: str) -> str:
    """`13`, `M13`, `Mesure 13`, `a2` → `13`, `13`, `13`, `A2`."""
    key = text.strip().upper().replace(" ", "")
    for prefix in ("MESURE", "MEASURE", "M"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
            break
    return key.lstrip("0") if key.isdigit() else key


def _user(user_id: int | None) -> Any:
    if user_id is None:
        return None
    from grants.accounts.models import User

    return db.session.get(User, user_id)


# -- after a load -------------------------------------------------------------------------------------
def matching_available() -> bool:
    return importlib.util.find_spec("grants.coordination.matching_run") is not None


def refresh_matching(actor: Any) -> bool:
    """Queue the refresh of the matching (organizations and flags) when it exists; answers whether
    it was queued. Never fails the import that called it."""
    if not matching_available():
        return False
    try:
        from grants.coordination import matching_run
        from grants.core.tasks import REFRESH_MATCHING

        job = matching_run.start_refresh(actor)
        db.session.commit()
        return jobs.queue_job(REFRESH_MATCHING, job)
    except Exception as error:  # the import stands; the cell can refresh by hand
        db.session.rollback()
        log.warning("matching refresh not queued after an import: %s", error)
        return False


# -- withdrawal ---------------------------------------------------------------------------------------
def withdraw_import(funding_import: FundingImport, user: Any) -> tuple[int, int]:
    """Withdraw the import, as if it had never been loaded: each line it holds goes back to the
    version an earlier import loaded (the newest one kept whose import still stands) or, with
    none, is deleted; the versions it loaded that later imports replaced go too (nothing returns
    to them). The import row stays, withdrawn, with who and when and both counts (audited).
    Answers (lines removed, lines restored). Refused unless the import is loaded."""
    status = ImportStatus(funding_import.status)
    if status is ImportStatus.WITHDRAWN:
        raise ImportRefused(_l("Cette importation est déjà retirée."))
    if status is not ImportStatus.DONE:
        raise ImportRefused(
            _l(
                "Seule une importation chargée peut être retirée (elle est « %(status)s »).",
                status=status.label,
            )
        )
    restored, removed = _withdraw_lines(funding_import.id)
    funding_import.status = ImportStatus.WITHDRAWN
    funding_import.withdrawn_by_id = getattr(user, "id", None)
    funding_import.withdrawn_at = utcnow()
    funding_import.lines_removed = removed
    funding_import.lines_restored = restored
    db.session.flush()
    record(
        "funding_import.withdrawn",
        funding_import,
        actor=user,
        changes={
            "status": [status.value, ImportStatus.WITHDRAWN.value],
            "lines_removed": removed,
            "lines_restored": restored,
        },
    )
    return removed, restored


def _withdraw_lines(import_id: int) -> tuple[int, int]:
    """The set-based work of a withdrawal, four statements whatever the number of lines; answers
    (restored, removed). A version is kept only while its import stands (its own go at its
    withdrawal, step 1), so the newest version of a line is the one to go back to."""
    lines = ExternalFunding.__table__
    versions = ExternalFundingVersion.__table__
    # 1. The versions this import loaded and later imports replaced: nothing goes back to them.
    db.session.execute(delete(versions).where(versions.c.import_id == import_id))
    # 2. Each line it holds goes back to its newest version.
    kept, held = versions.alias("kept"), lines.alias("held")
    newest = (
        select(func.max(kept.c.id))
        .join(held, held.c.id == kept.c.funding_id)
        .where(held.c.import_id == import_id)
        .group_by(kept.c.funding_id)
    )
    restored = db.session.execute(
        update(lines)
        .where(lines.c.id == versions.c.funding_id, versions.c.id.in_(newest))
        .values({name: versions.c[name] for name in _VERSIONED})
    ).rowcount
    # 3. A version back in place is no longer a version (no other version shares its line's import).
    if restored:
        db.session.execute(
            delete(versions).where(
                exists().where(lines.c.id == versions.c.funding_id, lines.c.import_id == versions.c.import_id)
            )
        )
    # 4. The lines it added, with nothing to go back to.
    removed = db.session.execute(delete(lines).where(lines.c.import_id == import_id)).rowcount
    return restored, removed


# -- reading back -------------------------------------------------------------------------------------
def line_count(funding_import: FundingImport) -> int:
    """How many lines this import holds now (new or changed by it, not withdrawn)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ExternalFunding)
            .where(ExternalFunding.import_id == funding_import.id)
        )
        or 0
    )


def refusal_of(funding_import: FundingImport) -> Problem | None:
    if not funding_import.refusal_code:
        return None
    return Problem(funding_import.refusal_code, dict(funding_import.refusal_params or {}))


def message(problem: Problem, language: str) -> str:
    """The reason in the reader's language; a parameter missing from old rows never breaks a page."""
    try:
        return problem.message(language)
    except (KeyError, IndexError):
        return problem.code
