"""A funding agreement (the grant) with its amount per fiscal year, and its signed versions.

The agreement holds the live amounts (`AgreementYear.amount`, which yearly CPI indexation
updates); each `AgreementVersion` is a document people sign: the original, then one per
amendment. Older versions stay, marked superseded.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.agreements.workflow import VERSIONS, AgreementEvent, AgreementStatus
from grants.core.db import FiscalYearType, Money, UTCDateTime, db, utcnow
from grants.core.enums import LabelledEnum
from grants.files.models import StoredFile
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program


class VersionKind(LabelledEnum):
    ORIGINAL = "original", _l("Convention initiale")
    AMENDMENT = "amendment", _l("Avenant")


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("funding_requests.id"), unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    conditions: Mapped[str] = mapped_column(Text, default="")
    indexed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AgreementStatus] = mapped_column(String(20), default=AgreementStatus.SENT, index=True)
    """Its current (latest) version's status, kept in a column for lists and queries; written only by
    grants.agreements.workflow.move_version (a direct assignment raises StatusWriteRefused)."""
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    program: Mapped[Program] = relationship()
    request = relationship("FundingRequest")
    years: Mapped[list[AgreementYear]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementYear.fiscal_year"
    )
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementVersion.number"
    )

    @property
    def status_label(self) -> str:
        return AgreementStatus(self.status).label

    @property
    def current(self) -> AgreementVersion:
        return self.versions[-1]

    @property
    def in_force(self) -> bool:
        """Signed by the organization and countersigned by the ministry: some version is in force
        (an amendment waiting for signatures leaves the earlier version in force)."""
        return any(v.status == AgreementStatus.COUNTERSIGNED for v in self.versions)

    @property
    def awaiting_signature(self) -> bool:
        """The current version waits for the organization's signatory (its workflow allows ACCEPT)."""
        return VERSIONS.can(self.current, AgreementEvent.ACCEPT)

    @property
    def awaiting_countersignature(self) -> bool:
        """The current version is accepted and waits for the ministry (its workflow allows COUNTERSIGN)."""
        return VERSIONS.can(self.current, AgreementEvent.COUNTERSIGN)

    @property
    def total(self) -> Decimal:
        return sum((y.amount for y in self.years), Decimal("0.00"))

    def year(self, fiscal_year: FiscalYear) -> AgreementYear | None:
        return next((y for y in self.years if y.fiscal_year == fiscal_year), None)


class AgreementYear(db.Model):
    """The grant's amount for one fiscal year: as approved, and as it stands (after indexation)."""

    __tablename__ = "agreement_years"
    __table_args__ = (UniqueConstraint("agreement_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType, index=True)
    approved_amount: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)

    agreement: Mapped[Agreement] = relationship(back_populates="years")


class AgreementVersion(db.Model):
    """One signed document: its terms as rendered, its PDF, and who accepted and countersigned it."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[VersionKind] = mapped_column(String(20), default=VersionKind.ORIGINAL)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AgreementStatus] = mapped_column(String(20), default=AgreementStatus.SENT)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signatory_name: Mapped[str] = mapped_column(String(255), default="")
    signatory_title: Mapped[str] = mapped_column(String(255), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_ip: Mapped[str | None] = mapped_column(String(64))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    pdf: Mapped[StoredFile | None] = relationship(foreign_keys=[pdf_file_id])
    signed_file: Mapped[StoredFile | None] = relationship(foreign_keys=[signed_file_id])
    countersigned_by = relationship("User", foreign_keys=[countersigned_by_id])

    @property
    def status_label(self) -> str:
        return AgreementStatus(self.status).label

    @property
    def kind_label(self) -> str:
        return VersionKind(self.kind).label


# A status changes only through the version workflow (grants.agreements.workflow.move_version).
VERSIONS.guard(AgreementVersion.status)
VERSIONS.guard(Agreement.status)
