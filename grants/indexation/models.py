"""A program's indexation rule, the fixed rates a ministry decides, and indexation runs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import FiscalYearType, Money, UTCDateTime, db, utcnow
from grants.core.enums import LabelledEnum
from grants.cpi.models import CpiSeries
from grants.cpi.rates import RateMethod
from grants.fiscal import FiscalYear
from grants.indexation.workflow import LIVE, RUNS, RunStatus, status_is
from grants.programs.models import Program


class Rounding(LabelledEnum):
    """How an indexed amount is rounded (half-up), as the program's rule says."""

    CENT = "cent", _l("Au cent près")
    DOLLAR = "dollar", _l("Au dollar près")


_LIVE_STATUSES = "status IN ({})".format(", ".join(f"'{s.value}'" for s in RunStatus if s in LIVE))
"""The unique index's condition (one live run per program and year), from the workflow's set."""


class IndexationRule(db.Model):
    """How a program indexes: the series, the method, the reference month, rounding and floor."""

    __tablename__ = "indexation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), unique=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("cpi_series.id", ondelete="SET NULL"))
    method: Mapped[RateMethod] = mapped_column(String(20), default=RateMethod.ANNUAL_AVERAGE)
    # For the 12-month methods: the month (1-12) whose latest occurrence before 1 April is used.
    reference_month: Mapped[int | None]
    rounding: Mapped[Rounding] = mapped_column(String(10), default=Rounding.DOLLAR)
    floor_at_zero: Mapped[bool] = mapped_column(default=True)
    decimals: Mapped[int] = mapped_column(default=1)  # of the rate in percent; StatCan publishes 1

    fixed_rates: Mapped[list[FixedRate]] = relationship(
        back_populates="rule", cascade="all, delete-orphan", order_by="FixedRate.fiscal_year"
    )
    program: Mapped[Program] = relationship()
    series: Mapped[CpiSeries | None] = relationship()


class FixedRate(db.Model):
    """A rate the ministry decided for one fiscal year (method "fixed"), with its source and date."""

    __tablename__ = "indexation_fixed_rates"
    __table_args__ = (UniqueConstraint("rule_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("indexation_rules.id", ondelete="CASCADE"))
    rule: Mapped[IndexationRule] = relationship(back_populates="fixed_rates")
    # The decision: for which year, how much, when and where it was published.
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    decided_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")


class IndexationRun(db.Model):
    """The indexation of one program for one fiscal year: its rate and the grants it touches."""

    __tablename__ = "indexation_runs"
    __table_args__ = (
        # At most one live (not cancelled or reversed) run per program and fiscal year.
        Index(
            "uq_indexation_runs_live",
            "program_id",
            "fiscal_year",
            unique=True,
            postgresql_where=text(_LIVE_STATUSES),
            sqlite_where=text(_LIVE_STATUSES),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    status: Mapped[RunStatus] = mapped_column(String(20), default=RunStatus.PREVIEWED)
    rate_percent: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    rate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # method, period, inputs
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the rule as it stood
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversal_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship()
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list[IndexationLine]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="IndexationLine.id"
    )

    status_label = property(lambda self: RunStatus(self.status).label)
    is_applied = status_is(
        RunStatus.APPLIED, "Its amounts are the fiscal year's (applying again changes nothing)."
    )
    is_reversed = status_is(RunStatus.REVERSED, "Applied, then put back: its reason is shown.")


# A run's status changes only through its workflow (grants.indexation.workflow.RUNS).
RUNS.guard(IndexationRun.status)


class IndexationLine(db.Model):
    """One grant in a run: its base, the new amount, or why it is left out."""

    __tablename__ = "indexation_lines"
    __table_args__ = (UniqueConstraint("run_id", "agreement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("indexation_runs.id", ondelete="CASCADE"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    base_amount: Mapped[Decimal | None] = mapped_column(Money)  # the year's amount before
    indexed_on: Mapped[Decimal | None] = mapped_column(Money)  # previous year's amount it compounds on
    new_amount: Mapped[Decimal | None] = mapped_column(Money)
    excluded_reason: Mapped[str] = mapped_column(String(40), default="")
    notice_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))

    run: Mapped[IndexationRun] = relationship(back_populates="lines")
    agreement = relationship("Agreement")
    notice = relationship("StoredFile")

    @hybrid_property
    def is_kept(self) -> bool:
        """The line is indexed (not left out): in Python on a line, in SQL on the class."""
        return self.excluded_reason == ""

    @property
    def difference(self) -> Decimal | None:
        if self.new_amount is None or self.base_amount is None:
            return None
        return self.new_amount - self.base_amount
