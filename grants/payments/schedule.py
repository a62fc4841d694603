"""Building an agreement's schedule from its program's payment plan, and the dates it plans.

The reports that release installments come from the one reporting calendar,
`grants.agreements.obligations.reports_of`; nothing here re-derives a due date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from grants.agreements.models import Agreement, AgreementYear
from grants.agreements.obligations import ReportDue, months_after, reports_of
from grants.core import clock
from grants.core.audit import record, values_of
from grants.core.db import db
from grants.core.money import round_cent
from grants.fiscal import FiscalYear
from grants.payments.models import Installment, InstallmentStatus, InstallmentTrigger
from grants.payments.queries import installments_of
from grants.payments.triggers import REPORT_TRIGGERS, TRIGGER_OF_REPORT, report_releasing

__all__ = ["REPORT_TRIGGERS", "TRIGGER_OF_REPORT", "report_releasing"]


def planned_date(
    trigger: InstallmentTrigger, year: FiscalYear, signed_on: date | None, reports: list[ReportDue]
) -> date:
    """When a step is expected to be paid (the officer can move it). A step released by a report
    is planned for the end of the month after that report's due date (the time to review it)."""
    if trigger is InstallmentTrigger.SIGNATURE:
        return max(signed_on or clock.today(), year.start)
    report = report_releasing(trigger, year, reports)
    if report is not None:
        return months_after(report.due, 1)
    return year.start


def split(amount: Decimal, plan: list[dict[str, Any]]) -> list[Decimal]:
    """Each step's share, rounded to the cent, the last step taking the remainder (sums exactly)."""
    shares = [round_cent(amount * Decimal(str(step["percent"])) / 100) for step in plan[:-1]]
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
        report = report_releasing(trigger, year.fiscal_year, reports)
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
            created.append(new_installment(agreement, year.fiscal_year, sequence, **step))
    db.session.flush()
    record(
        "installments.scheduled",
        agreement,
        actor=actor,
        changes={"installments": [describe(i) for i in created]},
    )
    return created


def date_signature_installments(agreement: Agreement, signed_on: date) -> None:
    """The agreement came into force on `signed_on`: installments due at signature, still only
    scheduled, are planned for that day (or the start of their fiscal year, if later)."""
    for installment in installments_of(agreement.id):
        if (
            installment.trigger == InstallmentTrigger.SIGNATURE
            and installment.status == InstallmentStatus.SCHEDULED
        ):
            installment.planned_date = max(signed_on, installment.fiscal_year.start)


def new_installment(agreement: Agreement, year: FiscalYear, sequence: int, **fields: Any) -> Installment:
    """A new installment of `agreement` for `year` (scheduled unless `fields` say otherwise)."""
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


def describe(installment: Installment) -> dict[str, Any]:
    """An installment as the audit trail keeps it."""
    return {
        "fiscal_year": str(installment.fiscal_year),
        **values_of(installment, "sequence", "amount", "trigger", "planned_date", "status"),
    }
