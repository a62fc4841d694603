"""A funding program (PQLC, TNCES, TRCES, calls for projects) and its envelope per fiscal year."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from grants.core.db import FiscalYearType, Money, db
from grants.core.enums import LabelledEnum
from grants.core.i18n_fields import Bilingual
from grants.core.money import round_cent
from grants.fiscal import FiscalYear, Proration
from grants.reference.models import Measure, Ministry


class ProgramKind(LabelledEnum):
    MISSION_FUNDING = "mission_funding"
    CONCERTATION_TABLE = "concertation_table"
    CALL_FOR_PROJECTS = "call_for_projects"


PROGRAM_KIND_LABELS = ProgramKind.labelled(
    {
        ProgramKind.MISSION_FUNDING: _l("Financement à la mission"),
        ProgramKind.CONCERTATION_TABLE: _l("Table de concertation"),
        ProgramKind.CALL_FOR_PROJECTS: _l("Appel de projets"),
    }
)


class Program(Bilingual, db.Model):
    """A program's identity and its rules (defaults from CONVENTIONS.md, editable per program)."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fr: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ProgramKind] = mapped_column(String(30))
    ministry_code: Mapped[str] = mapped_column(ForeignKey("ministries.code"))
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))
    indexed: Mapped[bool] = mapped_column(default=False)
    years_max: Mapped[int] = mapped_column(default=1)
    annual_max: Mapped[Decimal | None] = mapped_column(Money)
    reports_per_year: Mapped[int] = mapped_column(default=2)
    proration: Mapped[Proration] = mapped_column(String(10), default=Proration.MONTHS)
    source: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Accept Word, Excel and OpenDocument attachments besides PDF.
    office_attachments_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Steps of each fiscal year's payments, e.g. [{"percent": "50", "trigger": "year_start"}, ...];
    # None means the default for the program's kind (CONVENTIONS.md, "Payments").
    payment_plan: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    ministry: Mapped[Ministry] = relationship()
    # Measure.programs (the programs of a plan measure) is declared here: reference data sits
    # below the programs and never imports them.
    measure: Mapped[Measure | None] = relationship(backref=backref("programs", order_by="Program.id"))
    envelopes: Mapped[list[ProgramEnvelope]] = relationship(
        back_populates="program",
        order_by="ProgramEnvelope.fiscal_year",
        cascade="all, delete-orphan",
    )

    @property
    def program_id(self) -> int:
        """A program belongs to itself: lets the audit trail and permissions treat it alike."""
        return self.id

    @property
    def kind_label(self) -> str:
        return ProgramKind(self.kind).label

    @property
    def description(self) -> str:
        return self._in_language("description")

    def maximum_for(
        self, annual_max: Decimal | None, year: FiscalYear, start: date | None, end: date | None
    ) -> Decimal | None:
        """The most a grant may get in `year`: the annual maximum, prorated when the period covers
        only part of the year (by months or by days, as the program says)."""
        if annual_max is None or start is None or end is None:
            return annual_max
        return round_cent(annual_max * year.share(start, end, Proration(self.proration)))

    def envelope_for(self, year: FiscalYear) -> ProgramEnvelope | None:
        return next((e for e in self.envelopes if e.fiscal_year == year), None)

    def effective_payment_plan(self) -> list[dict[str, Any]]:
        return self.payment_plan or DEFAULT_PAYMENT_PLANS[ProgramKind(self.kind)]


DEFAULT_PAYMENT_PLANS: dict[ProgramKind, list[dict[str, Any]]] = {
    # Mission and table funding: half at the start of each year (at signature in the first year),
    # half once the mid-year report is accepted.
    ProgramKind.MISSION_FUNDING: [
        {"percent": "50", "trigger": "year_start"},
        {"percent": "50", "trigger": "midyear_report"},
    ],
    ProgramKind.CONCERTATION_TABLE: [
        {"percent": "50", "trigger": "year_start"},
        {"percent": "50", "trigger": "midyear_report"},
    ],
    # Calls for projects: 90 % at signature (start of each later year), 10 % once the report is accepted.
    ProgramKind.CALL_FOR_PROJECTS: [
        {"percent": "90", "trigger": "year_start"},
        {"percent": "10", "trigger": "final_report"},
    ],
}


class ProgramEnvelope(db.Model):
    """The amount a program may commit in one fiscal year."""

    __tablename__ = "program_envelopes"
    __table_args__ = (UniqueConstraint("program_id", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    amount: Mapped[Decimal] = mapped_column(Money)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship(back_populates="envelopes")

    @property
    def organization_id(self) -> None:
        return None
