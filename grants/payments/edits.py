"""Changing a schedule's amounts: an officer's edit of one fiscal year, and the rebalancing that
follows a year's new amount (an amendment, a CPI indexation), one agreement or thousands at once.

Installments that are taken out of a schedule are cancelled through the workflow
(`INSTALLMENTS.move`), never by writing their status; the edit's or rebalancing's audit entry
lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, text

from grants.agreements.models import Agreement, AgreementYear
from grants.core import clock
from grants.core.audit import record, record_many
from grants.core.concurrency import flush_or_refuse
from grants.core.db import db
from grants.core.formatting import money
from grants.core.money import round_cent
from grants.fiscal import FiscalYear
from grants.payments.models import ADJUSTABLE_STATUSES, Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.queries import installments_of
from grants.payments.schedule import describe, new_installment
from grants.payments.workflow import COMMITTED_STATUSES, INSTALLMENTS, InstallmentEvent


class ScheduleError(ValueError):
    """The schedule an officer typed does not add up; `message` says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class ScheduleRow:
    """One line of the officer's schedule form; `installment_id` None adds a new installment."""

    installment_id: int | None
    amount: Decimal
    trigger: InstallmentTrigger
    planned_date: date | None


def _cancel(installment: Installment, *, actor: Any) -> None:
    """Take an installment out of its schedule (audited by the caller's entry)."""
    INSTALLMENTS.move(installment, InstallmentEvent.CANCEL, actor=actor, audit=False)


def edit_year_schedule(
    agreement: Agreement, year: FiscalYear, rows: list[ScheduleRow], *, actor: Any
) -> None:
    """Replace the unpaid installments of a year; paid and authorized ones stay as they are."""
    agreement_year = agreement.year(year)
    if agreement_year is None:
        raise ScheduleError(_l("Cet exercice ne fait pas partie de la convention."))
    existing = installments_of(agreement.id, year)
    fixed = [i for i in existing if i.status in COMMITTED_STATUSES]
    editable = {i.id: i for i in existing if i.is_adjustable}
    if any(row.amount <= 0 for row in rows):
        raise ScheduleError(_l("Chaque versement doit avoir un montant positif."))
    total = sum((i.amount for i in fixed), Decimal(0)) + sum((round_cent(r.amount) for r in rows), Decimal(0))
    if total != agreement_year.amount:
        raise ScheduleError(
            _l(
                "Les versements de %(year)s totalisent %(total)s ; ils doivent totaliser le montant de "
                "l'exercice, %(amount)s.",
                year=str(year),
                total=money(total),
                amount=money(agreement_year.amount),
            )
        )
    before = [describe(i) for i in existing]
    kept_ids = {row.installment_id for row in rows if row.installment_id in editable}
    for installment in editable.values():
        if installment.id not in kept_ids:
            _cancel(installment, actor=actor)
    sequence = max((i.sequence for i in existing), default=0)
    for row in rows:
        fields = {"amount": round_cent(row.amount), "trigger": row.trigger, "planned_date": row.planned_date}
        if row.installment_id in editable:
            installment = editable[row.installment_id]
            installment.amount, installment.trigger = fields["amount"], fields["trigger"]
            installment.planned_date = fields["planned_date"]
        else:
            sequence += 1
            new_installment(agreement, year, sequence, **fields)
    flush_or_refuse(agreement)
    record(
        "installments.edited",
        agreement,
        actor=actor,
        changes={
            "fiscal_year": str(year),
            "before": before,
            "after": [describe(i) for i in installments_of(agreement.id, year)],
        },
    )


def spread(difference: Decimal, amounts: list[Decimal]) -> list[Decimal] | None:
    """The unpaid installments' new amounts once `difference` is spread over them in proportion
    (the odd cent on the last one); None when they cannot absorb it (none left, or it would make
    their total negative)."""
    base = sum(amounts, Decimal(0))
    if not amounts or base + difference < 0 or base == 0:
        return None
    shares = [round_cent(difference * amount / base) for amount in amounts[:-1]]
    shares.append(difference - sum(shares, Decimal(0)))
    return [amount + share for amount, share in zip(amounts, shares, strict=True)]


def rebalance_year(agreement: Agreement, year: FiscalYear, *, actor: Any, reason: str) -> None:
    """Bring the unpaid installments of a year in line with its (new) amount, e.g. after an
    amendment or an indexation: the difference is spread over the scheduled and held ones in
    proportion to their amounts; with none left, an adjustment installment is added."""
    agreement_year = agreement.year(year)
    existing = [i for i in installments_of(agreement.id, year) if not i.is_cancelled]
    target_total = agreement_year.amount if agreement_year else Decimal(0)
    difference = target_total - sum((i.amount for i in existing), Decimal(0))
    if difference == 0:
        return
    adjustable = [i for i in existing if i.is_adjustable]
    amounts = spread(difference, [i.amount for i in adjustable])
    changes: dict[str, Any] = {"fiscal_year": str(year), "difference": difference, "reason": reason}
    if amounts is not None:
        for installment, amount in zip(adjustable, amounts, strict=True):
            installment.amount = amount
    elif difference < 0:
        for installment in adjustable:
            _cancel(installment, actor=actor)
        changes["cancelled"] = [describe(i) for i in adjustable]
    else:
        new_installment(
            agreement,
            year,
            max((i.sequence for i in existing), default=0) + 1,
            amount=difference,
            trigger=InstallmentTrigger.DATE,
            planned_date=max(clock.today(), year.start),
        )
    flush_or_refuse(agreement)
    record("installments.rebalanced", agreement, actor=actor, changes=changes)


CHUNK = 2_000


def rebalance_many(
    year: FiscalYear, agreement_ids: Any, *, actor: Any, reason: str, audit: bool = True
) -> int:
    """`rebalance_year` for many agreements at once (a yearly indexation of thousands of grants).

    Agreements are taken by chunks of CHUNK, so memory stays flat however many there are: each
    chunk is one read and one UPDATE. `agreement_ids` is a list or a SELECT of ids. With `audit`,
    one entry per agreement; a caller that audits the change itself (an indexation run) passes
    False. The rare agreement whose unpaid installments cannot absorb the change goes through
    `rebalance_year`. Answers how many agreements changed."""
    if not isinstance(agreement_ids, list | tuple):
        agreement_ids = list(db.session.scalars(agreement_ids))
    changed = 0
    for start in range(0, len(agreement_ids), CHUNK):
        chunk = agreement_ids[start : start + CHUNK]
        changed += _rebalance_chunk(year, chunk, actor=actor, reason=reason, audit=audit)
    return changed


def _rebalance_chunk(
    year: FiscalYear, agreement_ids: list[int], *, actor: Any, reason: str, audit: bool
) -> int:
    rows = db.session.execute(
        db.select(
            Installment.id,
            Installment.agreement_id,
            Installment.program_id,
            Installment.amount,
            Installment.status,
        )
        .where(
            Installment.agreement_id.in_(agreement_ids),
            Installment.fiscal_year == year,
            Installment.status != InstallmentStatus.CANCELLED,
        )
        .order_by(Installment.agreement_id, Installment.sequence)
    ).all()
    targets = db.session.execute(
        db.select(AgreementYear.agreement_id, AgreementYear.amount).where(
            AgreementYear.agreement_id.in_(agreement_ids), AgreementYear.fiscal_year == year
        )
    ).all()
    by_agreement: dict[int, list[Any]] = {}
    for row in rows:
        by_agreement.setdefault(row.agreement_id, []).append(row)
    updates: list[tuple[int, Decimal]] = []
    audits, fallbacks = [], []
    touched = 0
    for agreement_id, target_total in targets:
        existing = by_agreement.get(agreement_id, [])
        difference = target_total - sum((r.amount for r in existing), Decimal(0))
        if difference == 0:
            continue
        touched += 1
        adjustable = [r for r in existing if r.status in ADJUSTABLE_STATUSES]
        amounts = spread(difference, [r.amount for r in adjustable])
        if amounts is None:
            fallbacks.append(agreement_id)
            continue
        updates += [(r.id, amount) for r, amount in zip(adjustable, amounts, strict=True)]
        if audit:
            audits.append(
                {
                    "object_type": "Agreement",
                    "object_id": agreement_id,
                    "program_id": existing[0].program_id if existing else None,
                    "changes": {"fiscal_year": str(year), "difference": difference, "reason": reason},
                }
            )
    _set_installment_amounts(updates)
    record_many("installments.rebalanced", audits, actor=actor)
    for agreement_id in fallbacks:
        rebalance_year(db.session.get(Agreement, agreement_id), year, actor=actor, reason=reason)
    return touched


def _set_installment_amounts(updates: list[tuple[int, Decimal]]) -> None:
    """New amounts by installment id, each row's version bumped: one statement on PostgreSQL
    (UPDATE … FROM VALUES), an executemany elsewhere. Statuses are not touched."""
    if not updates:
        return
    table = Installment.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        # Two array parameters: a statement of constant size, whatever the number of rows.
        db.session.execute(
            text(
                "UPDATE installments AS i SET amount = u.amount, version = i.version + 1 "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:amounts AS numeric[])) AS u(id, amount) "
                "WHERE i.id = u.id"
            ),
            {"ids": [i for i, _ in updates], "amounts": [a for _, a in updates]},
        )
        return
    statement = (
        db.update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(amount=bindparam("b_amount"), version=table.c.version + 1)
    )
    db.session.connection().execute(statement, [{"b_id": i, "b_amount": a} for i, a in updates])
