"""The analysis grid of a program (criteria and weights) and an officer's scores on a request."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import UTCDateTime, db, utcnow
from grants.core.i18n_fields import Bilingual


class AssessmentCriterion(Bilingual, db.Model):
    """One criterion of a program's grid: a weight (share of the total) and a maximum score."""

    __tablename__ = "assessment_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    name_fr: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    max_score: Mapped[int] = mapped_column(default=5)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Assessment(db.Model):
    """The score and comment given on one criterion of one request."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("request_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("funding_requests.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("assessment_criteria.id", ondelete="CASCADE"))
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    criterion: Mapped[AssessmentCriterion] = relationship()
