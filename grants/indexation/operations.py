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
from sqlalchemy import Integer, Select, String, and_, cast, func, literal
from sqlalchemy.exc import IntegrityError

from grants.agreements.indexed_amounts import changed_year_amounts, set_indexed_amounts
from grants.core import clock
from grants.core.audit import diff, json_changes, record, record_from_select
from grants.core.concurrency import check_version, flush_or_refuse
from grants.core.db import FiscalYearType, db, utcnow
from grants.core.permissions import (
    can_approve_indexation,
    can_edit_indexation_rule,
    can_manage_indexation,
    can_reverse_indexation,
)
from grants.core.workflow import TransitionRefused
from grants.cpi.rates import RateMethod
from grants.fiscal import FiscalYear
from grants.indexation.models import FixedRate, IndexationLine, IndexationRule, IndexationRun, Rounding
from grants.indexation.preview import PreviewLine, compute, totals
from grants.indexation.queries import applied_run
from grants.indexation.rules import NoRate, RateRefused, describe, rate_for, rate_problem, rule_of
from grants.indexation.workflow import RUNS, RunEvent, RunStatus
from grants.payments.operations import rebalance_many
from grants.programs.models import Program

RULE_FIELDS = ("method", "series_id", "reference_month", "rounding", "floor_at_zero", "decimals")
"""What the rule page changes."""


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


def new_rule(program: Program) -> IndexationRule:
    """The rule a program without one starts from (not saved): annual average, whole dollars."""
    return IndexationRule(
        program_id=program.id,
        method=RateMethod.ANNUAL_AVERAGE,
        rounding=Rounding.DOLLAR,
        floor_at_zero=True,
        decimals=1,
    )


def save_rule(
    program: Program, rule: IndexationRule, values: dict[str, Any], *, actor: Any
) -> IndexationRule:
    """Record the program's indexation rule (a new one, or changes to `rule`), audited as a diff.
    `values` are the rule's columns (method, series_id, reference_month, rounding, floor_at_zero,
    decimals). Only an authorized officer of the program changes it."""
    if not can_edit_indexation_rule(actor, program):
        raise RunRefused(_l("Seul·e un·e agent·e autorisé·e du programme peut modifier la règle."))
    before = describe(rule)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rule, name, values[name])
    if rule.id is None:
        db.session.add(rule)
    db.session.flush()
    record("indexation.rule_changed", program, actor=actor, changes=diff(before, describe(rule)))
    return rule


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
    if not can_manage_indexation(actor, program):
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


def _move(run: IndexationRun, event: RunEvent, *, actor: Any, expected_version: int | None) -> RunStatus:
    """Move `run` through its state table (grants.indexation.workflow.RUNS); answers the status
    it left. ConcurrentChange when the page's version is not the run's. The operation writes the
    audit entry itself, with the run's figures."""
    check_version(run, expected_version)
    try:
        before, _after = RUNS.move(run, event, actor=actor, audit=False)
    except TransitionRefused as refused:
        raise RunRefused(refused.message) from None
    return before


def _record_step(run: IndexationRun, action: str, before: RunStatus, *, actor: Any, **changes: Any) -> None:
    record(
        action, run, actor=actor, changes={"status": [before.value, RunStatus(run.status).value], **changes}
    )


def approve(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> IndexationRun:
    """An officer with budget authority for the program approves the frozen lines."""
    if not can_approve_indexation(actor, run):
        raise RunRefused(_l("Seul·e un·e agent·e autorisé·e du programme peut approuver une indexation."))
    before = _move(run, RunEvent.APPROVE, actor=actor, expected_version=expected_version)
    run.approved_at, run.approved_by_id = utcnow(), getattr(actor, "id", None)
    flush_or_refuse(run)
    _record_step(run, "indexation.approved", before, actor=actor)
    return run


def cancel(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> IndexationRun:
    """Set a run aside before it is applied (e.g. to preview again after new CPI months)."""
    if not can_manage_indexation(actor, run.program):
        raise RunRefused(_l("Seuls les agent·es du programme gèrent son indexation."))
    before = _move(run, RunEvent.CANCEL, actor=actor, expected_version=expected_version)
    flush_or_refuse(run)
    _record_step(run, "indexation.cancelled", before, actor=actor)
    return run


def _kept_lines(run: IndexationRun) -> Any:
    """The run's indexed lines (those not left out), as a WHERE clause."""
    return and_(IndexationLine.run_id == run.id, IndexationLine.is_kept)


def _line_amounts(run: IndexationRun, column: str) -> Select:
    """(agreement_id, fiscal_year, amount) of each kept line: the shape agreements' bulk
    `set_indexed_amounts` and `changed_year_amounts` take, run inside their one statement."""
    return db.select(
        IndexationLine.agreement_id.label("agreement_id"),
        literal(run.fiscal_year, FiscalYearType()).label("fiscal_year"),
        getattr(IndexationLine, column).label("amount"),
    ).where(_kept_lines(run))


def _changed_meanwhile(run: IndexationRun, column: str) -> str:
    """The agreements whose amount for the year is no longer the line's `column`, by number."""
    return ", ".join(changed_year_amounts(_line_amounts(run, column)))


def _write_amounts(run: IndexationRun, column: str, *, action: str, why: str, actor: Any) -> None:
    """The fiscal year's amounts become the lines' `column` (through agreements), the unpaid
    installments follow (through payments), and one audit entry per indexed agreement."""
    set_indexed_amounts(_line_amounts(run, column), actor=actor, audit=False)
    agreement_ids = db.select(IndexationLine.agreement_id).where(_kept_lines(run))
    rebalance_many(run.fiscal_year, agreement_ids, actor=actor, reason=why, audit=False)
    _audit_lines(run, action, column, actor=actor)


def _audit_lines(run: IndexationRun, action: str, after: str, *, actor: Any) -> None:
    """One audit entry per indexed agreement, written by one INSERT … SELECT from the run's lines
    (core.audit.record_from_select: 10 000 grants stay one statement): the year, the amount before
    and after, the run."""
    before = "new_amount" if after == "base_amount" else "base_amount"
    old, new = getattr(IndexationLine, before), getattr(IndexationLine, after)
    changes = json_changes(
        fiscal_year=literal(str(run.fiscal_year), String),
        amount=(cast(old, String), cast(new, String)),
        run=literal(run.id, Integer),
    )
    rows = db.select(
        literal("Agreement", String).label("object_type"),
        cast(IndexationLine.agreement_id, String).label("object_id"),
        IndexationLine.organization_id.label("organization_id"),
        literal(run.program_id, Integer).label("program_id"),
        changes.label("changes"),
    ).where(_kept_lines(run))
    record_from_select(action, rows, actor=actor)


def _summary(run: IndexationRun) -> dict[str, Any]:
    count, difference = db.session.execute(
        db.select(
            func.count(IndexationLine.id),
            func.coalesce(func.sum(IndexationLine.new_amount - IndexationLine.base_amount), 0),
        ).where(_kept_lines(run))
    ).one()
    return {"grants": count, "difference": Decimal(difference)}


def apply(run: IndexationRun, *, actor: Any, expected_version: int | None = None) -> bool:
    """Apply an approved run in the caller's transaction. Answers False when it was applied
    already (nothing changes). The caller commits, then sends the notices (tasks.send_notices)."""
    if run.is_applied:
        return False
    if not can_manage_indexation(actor, run.program):
        raise RunRefused(_l("Seuls les agent·es du programme appliquent son indexation."))
    before = _move(run, RunEvent.APPLY, actor=actor, expected_version=expected_version)
    if changed := _changed_meanwhile(run, "base_amount"):
        raise RunRefused(
            _l(
                "Des montants ont changé depuis l'aperçu (%(agreements)s) : abandonnez cette indexation "
                "et préparez-en une nouvelle.",
                agreements=changed,
            )
        )
    run.applied_at, run.applied_by_id = utcnow(), getattr(actor, "id", None)
    flush_or_refuse(run)
    why = f"indexation {run.fiscal_year}"
    _write_amounts(run, "new_amount", action="agreement.indexed", why=why, actor=actor)
    _record_step(run, "indexation.applied", before, actor=actor, **_summary(run))
    db.session.expire_all()
    return True


def reverse(
    run: IndexationRun, *, reason: str, actor: Any, expected_version: int | None = None
) -> IndexationRun:
    """Put back the amounts an applied run changed. Refused when the next year's indexation is
    applied (it compounds on this one) or when an amount changed since."""
    if not can_reverse_indexation(actor, run):
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
    before = _move(run, RunEvent.REVERSE, actor=actor, expected_version=expected_version)
    if changed := _changed_meanwhile(run, "new_amount"):
        raise RunRefused(
            _l(
                "Des montants ont changé depuis l'application (%(agreements)s) : corrigez-les par avenant.",
                agreements=changed,
            )
        )
    run.reversed_at, run.reversed_by_id = utcnow(), getattr(actor, "id", None)
    run.reversal_reason = reason.strip()
    flush_or_refuse(run)
    why = f"indexation {run.fiscal_year} annulée"
    _write_amounts(run, "base_amount", action="agreement.indexation_reversed", why=why, actor=actor)
    _notify_reversal(run)
    _record_step(run, "indexation.reversed", before, actor=actor, reason=reason)
    db.session.expire_all()
    return run


def _notify_reversal(run: IndexationRun) -> None:
    """Tell each organization its amount is back, in the same transaction (the outbox): nothing is
    lost if the broker is down. A reversal is rare; it renders one short email per grant."""
    from grants.notifications import events
    from grants.notifications.operations import notify

    lines = db.session.scalars(
        db.select(IndexationLine).where(_kept_lines(run)).options(db.joinedload(IndexationLine.agreement))
    )
    for line in lines:
        notify(events.INDEXATION_REVERSED, agreement=line.agreement, run=run, line=line)
