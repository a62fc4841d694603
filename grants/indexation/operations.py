"""An indexation run from preview to application, and its reversal; every step audited.

preview (lines frozen) → approved by an authorized officer → applied in one transaction (the
fiscal year's amounts and the unpaid installments change; notices go to Celery after commit).
Applying an applied run changes nothing. A reversal puts the amounts back and keeps both steps
in the audit trail.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, cast, func, literal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from grants.agreements.models import Agreement, AgreementYear
from grants.core import clock
from grants.core.audit import AuditEntry, client_ip, record
from grants.core.db import UTCDateTime, db, utcnow
from grants.core.permissions import can_authorize_for_program, can_manage_program
from grants.fiscal import FiscalYear
from grants.indexation.models import FixedRate, IndexationLine, IndexationRule, IndexationRun, RunStatus
from grants.indexation.preview import PreviewLine, Totals, compute, totals
from grants.indexation.rules import NoRate, RateRefused, describe, rate_for, rate_problem, rule_of
from grants.payments.operations import rebalance_many
from grants.programs.models import Program


class RunRefused(Exception):
    """The step cannot be taken; `message` says why, for the person who tried."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


class AlreadyApplied(RunRefused):
    """The year's indexation is applied: a new preview would index the indexed amounts again.
    `run` is the applied run, whose frozen figures are the answer."""

    def __init__(self, run: IndexationRun) -> None:
        from grants.core.formatting import long_date, percent

        self.run = run
        super().__init__(
            _l(
                "L'indexation %(code)s %(year)s est déjà appliquée (taux de %(rate)s, le %(day)s) : voici "
                "ses chiffres. Un nouvel aperçu indexerait une seconde fois les montants indexés.",
                code=run.program.code,
                year=str(run.fiscal_year),
                rate=percent(run.rate_percent / 100, decimals=(run.rule or {}).get("decimals") or 1),
                day=long_date(run.applied_at),
            )
        )


def applied_run(program: Program, year: FiscalYear) -> IndexationRun | None:
    """The program's applied indexation of `year`, if any (at most one is live)."""
    return db.session.execute(
        db.select(IndexationRun).where(
            IndexationRun.program_id == program.id,
            IndexationRun.fiscal_year == year,
            IndexationRun.status == RunStatus.APPLIED,
        )
    ).scalar_one_or_none()


def set_fixed_rate(
    rule: IndexationRule, year: FiscalYear, percent: Decimal, *, source: str, actor: Any
) -> FixedRate:
    """Record (or correct) the rate the ministry decided for a fiscal year, dated today in Quebec.
    RateRefused when it is not a number within the bounds (rules.rate_problem)."""
    problem = rate_problem(percent)
    if problem is not None:
        raise RateRefused(problem)
    entry = db.session.execute(
        db.select(FixedRate).filter_by(rule_id=rule.id, fiscal_year=year)
    ).scalar_one_or_none() or FixedRate(rule_id=rule.id, fiscal_year=year)
    before = entry.percent
    entry.percent, entry.decided_on, entry.source = percent, clock.today(), source.strip()
    db.session.add(entry)
    db.session.flush()
    record(
        "indexation.fixed_rate_set",
        rule.program,
        actor=actor,
        changes={"fiscal_year": str(year), "percent": [before, percent], "source": entry.source},
    )
    return entry


def preview(program: Program, year: FiscalYear) -> tuple[Any, list[PreviewLine]]:
    """The rule's rate and the lines, computed now and stored nowhere (page, CLI, benchmark).

    Raises NoRate or MissingMonths when the rate cannot be had, and AlreadyApplied when the year is
    applied: its amounts are the indexed ones, a preview would compound them a second time."""
    rule = rule_of(program)
    if rule is None or not program.indexed:
        raise NoRate(str(_l("Le programme %(code)s n'a pas de règle d'indexation.", code=program.code)))
    applied = applied_run(program, year)
    if applied is not None:
        raise AlreadyApplied(applied)
    rate = rate_for(rule, year)
    return rate, compute(rule, year, rate)


def create_run(program: Program, year: FiscalYear, *, actor: Any) -> IndexationRun:
    """Freeze the preview as a run waiting for approval (one live run per program and year)."""
    if not can_manage_program(actor, program.id):
        raise RunRefused(_l("Seuls les agent·es du programme préparent son indexation."))
    rate, lines = preview(program, year)
    run = IndexationRun(
        program_id=program.id,
        fiscal_year=year,
        status=RunStatus.PREVIEWED,
        rate_percent=rate.percent,
        rate=rate.as_dict(),
        rule=describe(rule_of(program)),
        created_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():  # a savepoint: a refused insert leaves the transaction usable
            db.session.add(run)
            db.session.flush()
    except IntegrityError:
        raise RunRefused(
            _l(
                "Une indexation de %(code)s pour %(year)s existe déjà : ouvrez-la.",
                code=program.code,
                year=year,
            )
        ) from None
    if lines:
        db.session.execute(
            db.insert(IndexationLine),
            [
                {
                    "run_id": run.id,
                    "agreement_id": line.agreement_id,
                    "organization_id": line.organization_id,
                    "base_amount": line.base_amount,
                    "indexed_on": line.indexed_on,
                    "new_amount": line.new_amount,
                    "excluded_reason": line.excluded_reason,
                }
                for line in lines
            ],
        )
    summary = totals(lines)
    record(
        "indexation.previewed",
        run,
        actor=actor,
        changes={
            "program": program.code,
            "fiscal_year": str(year),
            "rate": rate.as_dict(),
            "grants": summary.grants,
            "indexed": summary.indexed,
            "difference": summary.difference,
        },
    )
    return run


def _move(
    run: IndexationRun, expected: set[RunStatus], after: RunStatus, expected_version: int | None
) -> None:
    if expected_version is not None and expected_version != run.version:
        raise RunRefused(
            _l("Cette indexation a changé pendant que vous la consultiez ; voici son état actuel.")
        )
    if RunStatus(run.status) not in expected:
        raise RunRefused(
            _l("Impossible : l'indexation est à l'état « %(status)s ».", status=RunStatus(run.status).label)
        )
    run.status = after


def _flush(run: IndexationRun) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise RunRefused(
            _l("Cette indexation a changé pendant que vous la consultiez ; voici son état actuel.")
        ) from None


def approve(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> IndexationRun:
    """An officer with budget authority for the program approves the frozen lines."""
    if not can_authorize_for_program(actor, run.program_id):
        raise RunRefused(_l("Seul·e un·e agent·e autorisé·e du programme peut approuver une indexation."))
    _move(run, {RunStatus.PREVIEWED}, RunStatus.APPROVED, expected_version)
    run.approved_at, run.approved_by_id = utcnow(), getattr(actor, "id", None)
    _flush(run)
    record("indexation.approved", run, actor=actor, changes={"status": ["previewed", "approved"]})
    return run


def cancel(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> IndexationRun:
    """Set a run aside before it is applied (e.g. to preview again after new CPI months)."""
    if not can_manage_program(actor, run.program_id):
        raise RunRefused(_l("Seuls les agent·es du programme gèrent son indexation."))
    before = RunStatus(run.status)
    _move(run, {RunStatus.PREVIEWED, RunStatus.APPROVED}, RunStatus.CANCELLED, expected_version)
    _flush(run)
    record("indexation.cancelled", run, actor=actor, changes={"status": [before.value, "cancelled"]})
    return run


def _year_join(run: IndexationRun) -> Any:
    return and_(
        AgreementYear.agreement_id == IndexationLine.agreement_id,
        AgreementYear.fiscal_year == run.fiscal_year,
    )


def _mismatches(run: IndexationRun, column: str) -> list[str]:
    """Agreements whose amount for the year is no longer the line's `column` (changed meanwhile)."""
    expected = getattr(IndexationLine, column)
    return list(
        db.session.scalars(
            db.select(Agreement.number)
            .join(IndexationLine, IndexationLine.agreement_id == Agreement.id)
            .join(AgreementYear, _year_join(run))
            .where(
                IndexationLine.run_id == run.id,
                IndexationLine.excluded_reason == "",
                AgreementYear.amount != expected,
            )
            .order_by(Agreement.number)
            .limit(20)
        )
    )


def _set_amounts(run: IndexationRun, column: str) -> None:
    """One UPDATE: each kept agreement's amount for the year becomes the line's `column`."""
    source = getattr(IndexationLine, column)
    db.session.execute(
        db.update(AgreementYear)
        .values(amount=source)
        .where(_year_join(run), IndexationLine.run_id == run.id, IndexationLine.excluded_reason == "")
        .execution_options(synchronize_session=False)
    )


def _audit_lines(run: IndexationRun, action: str, before: str, after: str, *, actor: Any) -> None:
    """One audit entry per indexed agreement, written by one INSERT … SELECT from the run's lines
    (10 000 grants stay one statement): the year, the amount before and after, the run."""
    lines = IndexationLine.__table__
    old, new = cast(lines.c[before], String), cast(lines.c[after], String)
    year, run_id = literal(str(run.fiscal_year), String), literal(run.id, Integer)
    if db.session.get_bind().dialect.name == "postgresql":
        changes = func.json_build_object(
            literal("fiscal_year", String),
            year,
            literal("amount", String),
            func.json_build_array(old, new),
            literal("run", String),
            run_id,
        )
    else:
        changes = func.json_object("fiscal_year", year, "amount", func.json_array(old, new), "run", run_id)
    audit = AuditEntry.__table__
    rows = db.select(
        literal(utcnow(), UTCDateTime),
        literal(getattr(actor, "id", None), Integer),
        literal(getattr(actor, "email", None) or "system", String),
        literal(action, String),
        literal("Agreement", String),
        cast(lines.c.agreement_id, String),
        lines.c.organization_id,
        literal(run.program_id, Integer),
        changes,
        literal(client_ip(), String),
    ).where(lines.c.run_id == run.id, lines.c.excluded_reason == "")
    columns = [
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "organization_id",
        "program_id",
        "changes",
        "ip_address",
    ]
    db.session.execute(db.insert(audit).from_select(columns, rows))


def _summary(run: IndexationRun) -> dict[str, Any]:
    count, difference = db.session.execute(
        db.select(
            func.count(IndexationLine.id),
            func.coalesce(func.sum(IndexationLine.new_amount - IndexationLine.base_amount), 0),
        ).where(IndexationLine.run_id == run.id, IndexationLine.excluded_reason == "")
    ).one()
    return {"grants": count, "difference": Decimal(difference)}


def apply(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> bool:
    """Apply an approved run in the caller's transaction. Answers False when it was applied
    already (nothing changes). The caller commits, then sends the notices (tasks.send_notices)."""
    if RunStatus(run.status) is RunStatus.APPLIED:
        return False
    if not can_manage_program(actor, run.program_id):
        raise RunRefused(_l("Seuls les agent·es du programme appliquent son indexation."))
    _move(run, {RunStatus.APPROVED}, RunStatus.APPLIED, expected_version)
    changed = _mismatches(run, "base_amount")
    if changed:
        raise RunRefused(
            _l(
                "Des montants ont changé depuis l'aperçu (%(agreements)s) : abandonnez cette indexation "
                "et préparez-en une nouvelle.",
                agreements=", ".join(changed),
            )
        )
    run.applied_at, run.applied_by_id = utcnow(), getattr(actor, "id", None)
    _flush(run)
    _set_amounts(run, "new_amount")
    agreement_ids = db.select(IndexationLine.agreement_id).where(
        IndexationLine.run_id == run.id, IndexationLine.excluded_reason == ""
    )
    why = f"indexation {run.fiscal_year}"
    rebalance_many(run.fiscal_year, agreement_ids, actor=actor, reason=why, audit=False)
    _audit_lines(run, "agreement.indexed", "base_amount", "new_amount", actor=actor)
    record(
        "indexation.applied", run, actor=actor, changes={"status": ["approved", "applied"]} | _summary(run)
    )
    db.session.expire_all()
    return True


def reverse(
    run: IndexationRun, *, reason: str, actor: Any, expected_version: int | None = None
) -> IndexationRun:
    """Put back the amounts an applied run changed. Refused when the next year's indexation is
    applied (it compounds on this one) or when an amount changed since."""
    if not can_authorize_for_program(actor, run.program_id):
        raise RunRefused(_l("Seul·e un·e agent·e autorisé·e du programme peut annuler une indexation."))
    if not reason.strip():
        raise RunRefused(_l("Indiquez la raison de l'annulation."))
    later = db.session.execute(
        db.select(IndexationRun.id).where(
            IndexationRun.program_id == run.program_id,
            IndexationRun.fiscal_year > run.fiscal_year,
            IndexationRun.status == RunStatus.APPLIED,
        )
    ).first()
    if later:
        raise RunRefused(
            _l("Annulez d'abord l'indexation de l'exercice suivant : elle s'appuie sur celle-ci.")
        )
    _move(run, {RunStatus.APPLIED}, RunStatus.REVERSED, expected_version)
    changed = _mismatches(run, "new_amount")
    if changed:
        raise RunRefused(
            _l(
                "Des montants ont changé depuis l'application (%(agreements)s) : corrigez-les par avenant.",
                agreements=", ".join(changed),
            )
        )
    run.reversed_at, run.reversed_by_id = utcnow(), getattr(actor, "id", None)
    run.reversal_reason = reason.strip()
    _flush(run)
    _set_amounts(run, "base_amount")
    agreement_ids = db.select(IndexationLine.agreement_id).where(
        IndexationLine.run_id == run.id, IndexationLine.excluded_reason == ""
    )
    why = f"indexation {run.fiscal_year} annulée"
    rebalance_many(run.fiscal_year, agreement_ids, actor=actor, reason=why, audit=False)
    _audit_lines(run, "agreement.indexation_reversed", "new_amount", "base_amount", actor=actor)
    _notify_reversal(run)
    record(
        "indexation.reversed", run, actor=actor, changes={"status": ["applied", "reversed"], "reason": reason}
    )
    db.session.expire_all()
    return run


def _notify_reversal(run: IndexationRun) -> None:
    """Tell each organization its amount is back, in the same transaction (the outbox): nothing is
    lost if the broker is down. A reversal is rare; it renders one short email per grant."""
    from grants.notifications import events
    from grants.notifications.operations import notify

    lines = db.session.scalars(
        db.select(IndexationLine)
        .where(IndexationLine.run_id == run.id, IndexationLine.excluded_reason == "")
        .options(db.joinedload(IndexationLine.agreement))
    )
    for line in lines:
        notify(events.INDEXATION_REVERSED, agreement=line.agreement, run=run, line=line)


def applied_lines_of(agreement_id: int) -> list[IndexationLine]:
    """An agreement's applied indexations, by fiscal year (its page and the organization's view)."""
    return list(
        db.session.scalars(
            db.select(IndexationLine)
            .join(IndexationRun)
            .where(
                IndexationLine.agreement_id == agreement_id,
                IndexationLine.excluded_reason == "",
                IndexationRun.status == RunStatus.APPLIED,
            )
            .order_by(IndexationRun.fiscal_year)
        )
    )


def run_totals(run: IndexationRun) -> Totals:
    """The run's counts and sums, computed by the database (a run may hold 10 000 lines)."""
    kept = IndexationLine.excluded_reason == ""
    grants, indexed, base, new = db.session.execute(
        db.select(
            func.count(IndexationLine.id),
            func.count(IndexationLine.id).filter(kept),
            func.coalesce(func.sum(IndexationLine.base_amount).filter(kept), 0),
            func.coalesce(func.sum(IndexationLine.new_amount).filter(kept), 0),
        ).where(IndexationLine.run_id == run.id)
    ).one()
    return Totals(grants, indexed, grants - indexed, Decimal(base), Decimal(new))
