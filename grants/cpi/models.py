"""A monthly CPI series (e.g. Quebec, All-items, 2002=100) and its published values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import UTCDateTime, db, utcnow


class CpiSeries(db.Model):
    __tablename__ = "cpi_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. quebec-all-items
    geography: Mapped[str] = mapped_column(String(120))  # as StatCan writes it in English: Quebec
    product: Mapped[str] = mapped_column(String(160))  # All-items
    base: Mapped[str] = mapped_column(String(20), default="2002=100")
    table_id: Mapped[str] = mapped_column(String(20), default="18-10-0004-01")
    vector: Mapped[str] = mapped_column(String(20), default="")
    source: Mapped[str] = mapped_column(Text, default="")

    values: Mapped[list[CpiValue]] = relationship(
        back_populates="series", order_by="CpiValue.month", cascade="all, delete-orphan"
    )


class CpiValue(db.Model):
    """One month's index value, with where it came from (a file import or a hand entry)."""

    __tablename__ = "cpi_values"
    __table_args__ = (UniqueConstraint("series_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("cpi_series.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    value: Mapped[Decimal] = mapped_column(Numeric(10, 3, asdecimal=True))
    source: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Who entered it (an email; the audit trail has the details). No foreign key: the series is
    # reference data and outlives user accounts.
    updated_by: Mapped[str] = mapped_column(String(255), default="")

    series: Mapped[CpiSeries] = relationship(back_populates="values")
