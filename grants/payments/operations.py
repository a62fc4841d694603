"""Every change to installments: the schedule built from the program's payment plan, the officer's
edits, authorizations, payments, holds and releases, each audited.

`hold_installments` / `release_holds` are the hooks the accountability module calls when a report
is late or refused (and once it is accepted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm.exc import StaleDataError

from grants.agreements.models import Agreement, AgreementYear
from grants.agreements.obligations import ReportDue, ReportKind, months_after, report_closing, reports_of
from grants.core import clock
from grants.core.audit import record, record_many
from grants.core.db import db, to_money, utcnow
from grants.fiscal import FiscalYear
from grants.notifications.operations import notify_users, recipients_of_organization
from grants.payments.models import HoldSource, Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.workflow import InstallmentEvent, target

CENT = Decimal("0.01")
ADJUSTABLE = (InstallmentStatus.SCHEDULED, InstallmentStatus.HELD)


class ScheduleError(ValueError):
    """The schedule an officer typed does not add up; `message` says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


class ConcurrentChange(RuntimeError):
    """The installment changed since the page was opened."""


REPORT_TRIGGERS = {
    InstallmentTrigger.MIDYEAR_REPORT: ReportKind.MIDYEAR,
    InstallmentTrigger.ANNUAL_REPORT: ReportKind.ANNUAL,
    InstallmentTrigger.FINAL_REPORT: ReportKind.FINAL,
}
TRIGGER_OF_REPORT = {kind: trigger for trigger, kind in REPORT_TRIGGERS.items()}


def planned_date(
    trigger: InstallmentTrigger, year: FiscalYear, signed_on: date | None, reports: list[ReportDue]
) -> date:
    """When a step is expected to be paid (the officer can move it). A step released by a report
    is planned for the end of the month after that report's due date (the time to review it)."""
    if trigger is InstallmentTrigger.SIGNATURE:
        return max(signed_on or clock.today(), year.start)
    if trigger in REPORT_TRIGGERS:
        report = report_closing(reports, year, REPORT_TRIGGERS[trigger])
        if report is not None:
            return months_after(report.due, 1)
    return year.start


def split(amount: Decimal, plan: list[dict[str, Any]]) -> list[Decimal]:
    """Each step's share, rounded to the cent, the last step taking the remainder (sums exactly)."""
    shares = [
        (amount * Decimal(str(step["percent"])) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        for step in plan[:-1]
    ]
    return [*shares, amount - sum(shares, Decimal(0))]


def steps_for_year(
    agreement: Agreement, year: AgreementYear, *, first: bool, reports: list[ReportDue]
) -> list[dict[str, Any]]:
    """The installments of one fiscal year under the program's plan (amount, trigger, planned date).

    A step released by a report waits for the report the agreement actually asks for that year
    (`reports`, from obligations.reports_of): in a year with no mid-year report (a grant starting
    in the autumn), the step released by the mid-year report waits for the annual (or final) one."""
    plan = agreement.program.effective_payment_plan()
    signed = clock.today(at=agreement.signed_at) if agreement.signed_at else None
    steps = []
    for step, share in zip(plan, split(year.amount, plan), strict=True):
        trigger = InstallmentTrigger(step["trigger"])
        if first and trigger is InstallmentTrigger.YEAR_START:
            trigger = InstallmentTrigger.SIGNATURE
        if trigger in REPORT_TRIGGERS:
            report = report_closing(reports, year.fiscal_year, REPORT_TRIGGERS[trigger])
            if report is not None:
                trigger = TRIGGER_OF_REPORT[report.kind]
        planned = planned_date(trigger, year.fiscal_year, signed, reports)
        steps.append({"amount": share, "trigger": trigger, "planned_date": planned})
    return steps


def create_schedule(agreement: Agreement, *, actor: Any) -> list[Installment]:
    """The default schedule of every fiscal year of a new agreement."""
    created = []
    reports = reports_of(agreement)
    for index, year in enumerate(agreement.years):
        for sequence, step in enumerate(
            steps_for_year(agreement, year, first=index == 0, reports=reports), start=1
        ):
            created.append(_new(agreement, year.fiscal_year, sequence, **step))
    db.session.flush()
    record(
        "installments.scheduled",
        agreement,
        actor=actor,
        changes={"installments": [_describe(i) for i in created]},
    )
    return created


def _new(agreement: Agreement, year: FiscalYear, sequence: int, **fields: Any) -> Installment:
    installment = Installment(
        agreement_id=agreement.id,
        organization_id=agreement.organization_id,
        program_id=agreement.program_id,
        fiscal_year=year,
        sequence=sequence,
        **fields,
    )
    db.session.add(installment)
    return installment


def _describe(installment: Installment) -> dict[str, Any]:
    return {
        "fiscal_year": str(installment.fiscal_year),
        "sequence": installment.sequence,
        "amount": installment.amount,
        "trigger": installment.trigger,
        "planned_date": installment.planned_date,
        "status": installment.status,
    }


def installments_of(agreement_id: int, year: FiscalYear | None = None) -> list[Installment]:
    statement = db.select(Installment).where(Installment.agreement_id == agreement_id)
    if year is not None:
        statement = statement.where(Installment.fiscal_year == year)
    return list(db.session.scalars(statement.order_by(Installment.fiscal_year, Installment.sequence)))


@dataclass
class ScheduleRow:
    """One line of the officer's schedule form; `installment_id` None adds a new installment."""

    installment_id: int | None
    amount: Decimal
    trigger: InstallmentTrigger
    planned_date: date | None


def edit_year_schedule(
    agreement: Agreement, year: FiscalYear, rows: list[ScheduleRow], *, actor: Any
) -> None:
    """Replace the unpaid installments of a year; paid and authorized ones stay as they are."""
    from flask_babel import lazy_gettext as _l

    from grants.core.formatting import money

    agreement_year = agreement.year(year)
    if agreement_year is None:
        raise ScheduleError(_l("Cet exercice ne fait pas partie de la convention."))
    existing = installments_of(agreement.id, year)
    fixed = [i for i in existing if i.status not in ADJUSTABLE and i.status != InstallmentStatus.CANCELLED]
    editable = {i.id: i for i in existing if i.status in ADJUSTABLE}
    if any(row.amount <= 0 for row in rows):
        raise ScheduleError(_l("Chaque versement doit avoir un montant positif."))
    total = sum((i.amount for i in fixed), Decimal(0)) + sum((to_money(r.amount) for r in rows), Decimal(0))
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
    before = [_describe(i) for i in existing]
    kept_ids = {row.installment_id for row in rows if row.installment_id in editable}
    for installment in editable.values():
        if installment.id not in kept_ids:
            installment.status = InstallmentStatus.CANCELLED
    sequence = max((i.sequence for i in existing), default=0)
    for row in rows:
        if row.installment_id in editable:
            installment = editable[row.installment_id]
            installment.amount = to_money(row.amount)
            installment.trigger = row.trigger
            installment.planned_date = row.planned_date
        else:
            sequence += 1
            _new(
                agreement,
                year,
                sequence,
                amount=to_money(row.amount),
                trigger=row.trigger,
                planned_date=row.planned_date,
            )
    _flush()
    record(
        "installments.edited",
        agreement,
        actor=actor,
        changes={
            "fiscal_year": str(year),
            "before": before,
            "after": [_describe(i) for i in installments_of(agreement.id, year)],
        },
    )


def spread(difference: Decimal, amounts: list[Decimal]) -> list[Decimal] | None:
    """The unpaid installments' new amounts once `difference` is spread over them in proportion
    (the odd cent on the last one); None when they cannot absorb it (none left, or it would make
    their total negative)."""
    base = sum(amounts, Decimal(0))
    if not amounts or base + difference < 0 or base == 0:
        return None
    shares = [(difference * amount / base).quantize(CENT, rounding=ROUND_HALF_UP) for amount in amounts[:-1]]
    shares.append(difference - sum(shares, Decimal(0)))
    return [amount + share for amount, share in zip(amounts, shares, strict=True)]


def rebalance_year(agreement: Agreement, year: FiscalYear, *, actor: Any, reason: str) -> None:
    """Bring the unpaid installments of a year in line with its (new) amount, e.g. after an
    amendment or an indexation: the difference is spread over the scheduled and held ones in
    proportion to their amounts; with none left, an adjustment installment is added."""
    agreement_year = agreement.year(year)
    existing = [i for i in installments_of(agreement.id, year) if i.status != InstallmentStatus.CANCELLED]
    target_total = agreement_year.amount if agreement_year else Decimal(0)
    difference = target_total - sum((i.amount for i in existing), Decimal(0))
    if difference == 0:
        return
    adjustable = [i for i in existing if i.status in ADJUSTABLE]
    amounts = spread(difference, [i.amount for i in adjustable])
    if amounts is not None:
        for installment, amount in zip(adjustable, amounts, strict=True):
            installment.amount = amount
    elif difference < 0:
        for installment in adjustable:
            installment.status = InstallmentStatus.CANCELLED
    else:
        _new(
            agreement,
            year,
            max((i.sequence for i in existing), default=0) + 1,
            amount=difference,
            trigger=InstallmentTrigger.DATE,
            planned_date=max(clock.today(), year.start),
        )
    _flush()
    record(
        "installments.rebalanced",
        agreement,
        actor=actor,
        changes={"fiscal_year": str(year), "difference": difference, "reason": reason},
    )


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
        adjustable = [r for r in existing if r.status in ADJUSTABLE]
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
    (UPDATE … FROM VALUES), an executemany elsewhere."""
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


def apply_event(
    installment: Installment,
    event: InstallmentEvent,
    *,
    actor: Any,
    expected_version: int | None = None,
    reason: str = "",
    source: HoldSource = HoldSource.OFFICER,
    paid_on: date | None = None,
    payment_reference: str = "",
) -> Installment:
    """Authorize, pay, hold, release or cancel one installment (the table in payments.workflow)."""
    if expected_version is not None and expected_version != installment.version:
        raise ConcurrentChange(installment.id)
    before = InstallmentStatus(installment.status)
    after = target(before, event, agreement_in_force=installment.agreement.in_force)
    details: dict[str, Any] = {"status": [before.value, after.value]}
    now = utcnow()
    if event is InstallmentEvent.AUTHORIZE:
        installment.authorized_at, installment.authorized_by_id = now, getattr(actor, "id", None)
    elif event is InstallmentEvent.PAY:
        installment.paid_on = paid_on or clock.today()
        installment.payment_reference = payment_reference.strip()[:80]
        details.update(paid_on=installment.paid_on, payment_reference=installment.payment_reference)
    elif event is InstallmentEvent.HOLD:
        installment.hold_reason, installment.hold_source = reason.strip(), source
        installment.held_at, installment.held_by_id = now, getattr(actor, "id", None)
        details.update(reason=installment.hold_reason, source=source)
    elif event is InstallmentEvent.RELEASE:
        details.update(released_reason=installment.hold_reason, source=installment.hold_source)
        installment.hold_reason, installment.hold_source = "", None
        installment.held_at = installment.held_by_id = None
    installment.status = after
    _flush()
    record(f"installment.{event.value}", installment, actor=actor, changes=details)
    if event in (InstallmentEvent.HOLD, InstallmentEvent.RELEASE, InstallmentEvent.PAY):
        notify_users(
            recipients_of_organization(installment.organization_id),
            f"installment_{event.value}",
            organization_id=installment.organization_id,
            installment=installment,
            agreement=installment.agreement,
        )
    return installment


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange() from error


def hold_installments(
    agreement: Agreement, fiscal_year: FiscalYear, *, reason: str, source: HoldSource, actor: Any = None
) -> list[Installment]:
    """Hook for accountability: hold every open installment of a fiscal year (a report is late or
    refused). Already held ones keep their first reason."""
    held = []
    for installment in installments_of(agreement.id, fiscal_year):
        if installment.status in (InstallmentStatus.SCHEDULED, InstallmentStatus.AUTHORIZED):
            held.append(
                apply_event(installment, InstallmentEvent.HOLD, actor=actor, reason=reason, source=source)
            )
    return held


def release_holds(
    agreement: Agreement, fiscal_year: FiscalYear, *, source: HoldSource, actor: Any = None
) -> list[Installment]:
    """Hook for accountability: lift the holds a given source placed (the report is accepted)."""
    released = []
    for installment in installments_of(agreement.id, fiscal_year):
        if installment.status == InstallmentStatus.HELD and installment.hold_source == source:
            released.append(apply_event(installment, InstallmentEvent.RELEASE, actor=actor))
    return released
