"""A funding agreement (the grant) with its amount per fiscal year, and its signed versions.

The agreement holds the live amounts (`AgreementYear.amount`, which yearly CPI indexation
updates); each `AgreementVersion` is a document people sign: the original, then one per
amendment. Older versions stay, marked superseded.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import FiscalYearType, Money, UTCDateTime, db, utcnow
from grants.files.models import StoredFile
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program


class AgreementStatus(StrEnum):
    SENT = "sent"  # sent to the organization, waiting for its signatory
    ACCEPTED = "accepted"  # accepted by the organization's authorized signatory
    COUNTERSIGNED = "countersigned"  # signed by the ministry: in force
    SUPERSEDED = "superseded"  # replaced by a later version (amendment)

    @property
    def label(self) -> str:
        return str(AGREEMENT_STATUS_LABELS[self])


AGREEMENT_STATUS_LABELS = {
    AgreementStatus.SENT: _l("Envoyée à l'organisme"),
    AgreementStatus.ACCEPTED: _l("Acceptée par l'organisme"),
    AgreementStatus.COUNTERSIGNED: _l("Contresignée (en vigueur)"),
    AgreementStatus.SUPERSEDED: _l("Remplacée par un avenant"),
}


class VersionKind(StrEnum):
    ORIGINAL = "original"
    AMENDMENT = "amendment"

    @property
    def label(self) -> str:
        return str(_l("Convention initiale") if self is VersionKind.ORIGINAL else _l("Avenant"))


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
