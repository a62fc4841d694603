"""Installments (versements): the schedule of a grant per fiscal year and each payment's status.

Statuses move only through the table in grants.payments.workflow. A hold carries its reason and
its source: an officer, or (later) the accountability module when a report is late or refused.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.agreements.models import Agreement
from grants.core.db import FiscalYearType, Money, UTCDateTime, db, utcnow
from grants.fiscal import FiscalYear
from grants.payments.triggers import InstallmentTrigger
from grants.payments.workflow import ADJUSTABLE_STATUSES, INSTALLMENTS, InstallmentStatus

__all__ = ["HoldSource", "Installment", "InstallmentStatus", "InstallmentTrigger"]


class HoldSource(StrEnum):
    OFFICER = "officer"
    REPORT_LATE = "report_late"
    REPORT_REFUSED = "report_refused"


class Installment(db.Model):
    __tablename__ = "installments"
    __table_args__ = (
        Index("ix_installments_program_year_status", "program_id", "fiscal_year", "status"),
        Index("ix_installments_agreement_year", "agreement_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    sequence: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal] = mapped_column(Money)
    trigger: Mapped[InstallmentTrigger] = mapped_column(String(20))
    planned_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[InstallmentStatus] = mapped_column(String(20), default=InstallmentStatus.SCHEDULED)
    hold_reason: Mapped[str] = mapped_column(Text, default="")
    hold_source: Mapped[HoldSource | None] = mapped_column(String(20))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement: Mapped[Agreement] = relationship()

    @property
    def status_label(self) -> str:
        return InstallmentStatus(self.status).label

    @property
    def is_cancelled(self) -> bool:
        """Taken out of the schedule (an officer's edit or a rebalancing): not shown, not counted."""
        return self.status == InstallmentStatus.CANCELLED

    @property
    def is_adjustable(self) -> bool:
        """Its amount, trigger and date may still change: neither authorized, paid nor cancelled."""
        return self.status in ADJUSTABLE_STATUSES

    @property
    def trigger_label(self) -> str:
        return InstallmentTrigger(self.trigger).label


# A status changes only through the installment workflow (grants.payments.workflow.INSTALLMENTS).
INSTALLMENTS.guard(Installment.status)
