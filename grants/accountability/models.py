"""Accountability reports (reddition de comptes) and what they hold.

- `Report`: one report an agreement asks for (mid-year, annual or final), its period and due date,
  its status (moved only through `workflow.py`) and its texts. `due_date` is the one date
  reminders follow: it starts as `scheduled_due` (from `agreements.obligations`) and an officer may
  extend it with a reason.
- Its sections' content: `ReportIndicatorValue` (the program's indicators: target and achieved),
  `ReportFinanceLine` (the financial statement by budget line of the request), `ReportReachCount`
  (people reached, one row per ADS+ variable and category), `ReportAttachment`.
- `ReportChangeRequest`: an officer's request for changes, a comment per reopened section.
- Per program, as data an officer edits: `Indicator` (with a default target), `IndicatorTarget`
  (a target for one agreement) and `ReportSettings` (grace period, unspent threshold, the optional
  ADS+ variables the program collects).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.accountability.workflow import (
    AWAITING_SUBMISSION,
    EDITABLE_BY_ORGANIZATION,
    WORKFLOW,
    ReportStatus,
)
from grants.agreements.models import Agreement
from grants.agreements.obligations import ReportDue, ReportKind, StatementType
from grants.core import clock
from grants.core.db import FiscalYearType, Money, UTCDateTime, db, owned_rows, owner_key, utcnow
from grants.core.enums import LabelledEnum, label_of
from grants.files.models import StoredFile
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program

DEFAULT_GRACE_DAYS = 30
DEFAULT_UNSPENT_THRESHOLD = Decimal("10")
# Reminder steps (CONVENTIONS, default): days before a due date, and overdue notices days after.
DEFAULT_REMINDER_DAYS_BEFORE = (30, 14, 7, 1)
DEFAULT_OVERDUE_DAYS_AFTER = (1, 14)


class ReportSection(LabelledEnum):
    """The pages of a report form; an officer reopens some of them with a request for changes."""

    ACTIVITIES = "activities", _l("Activités et résultats")
    INDICATORS = "indicators", _l("Indicateurs")
    FINANCES = "finances", _l("État financier")
    PEOPLE = "people", _l("Personnes rejointes")
    ATTACHMENTS = "attachments", _l("Pièces jointes")

    @property
    def slug(self) -> str:
        """Its part of the page's address (`/redditions/12/etat-financier`)."""
        return SECTION_SLUGS[self]

    @classmethod
    def from_slug(cls, slug: str) -> ReportSection | None:
        return next((s for s, text in SECTION_SLUGS.items() if text == slug), None)


SECTION_SLUGS = {
    ReportSection.ACTIVITIES: "activites",
    ReportSection.INDICATORS: "indicateurs",
    ReportSection.FINANCES: "etat-financier",
    ReportSection.PEOPLE: "personnes-rejointes",
    ReportSection.ATTACHMENTS: "pieces-jointes",
}


class IndicatorKind(LabelledEnum):
    """What an indicator's values are: whole numbers, amounts with decimals, or percentages."""

    COUNT = "count", _l("Nombre entier")
    NUMBER = "number", _l("Nombre (décimales permises)")
    PERCENT = "percent", _l("Pourcentage")


class IndicatorUnit(LabelledEnum):
    PEOPLE = "people", _l("personnes")
    MEETINGS = "meetings", _l("rencontres")
    ORGANIZATIONS = "organizations", _l("organisations")
    ACTIONS = "actions", _l("actions")
    ACTIVITIES = "activities", _l("activités")
    REFERRALS = "referrals", _l("références")
    HOURS = "hours", _l("heures")
    PERCENT = "percent", _l("%")
    OTHER = "other", _l("autre")


class ReportAttachmentKind(LabelledEnum):
    FINANCIAL_STATEMENTS = "financial_statements", _l("États financiers")
    MINUTES = "minutes", _l("Procès-verbal")
    ACTIVITY_REPORT = "activity_report", _l("Rapport d'activités")
    OTHER = "other", _l("Autre document")


# -- per program: settings and indicators ---------------------------------------------------------
class _ProgramWide:
    """A program's own data, on no organization's file (its audit entries name no organization)."""

    organization_id = None


class ReportSettings(_ProgramWide, db.Model):
    """A program's accountability settings (defaults: our choice, see README)."""

    __tablename__ = "report_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = owner_key("programs", unique=True)
    # A report still not submitted this many days after its due date holds the next installments.
    grace_days: Mapped[int] = mapped_column(default=DEFAULT_GRACE_DAYS)
    # An unspent balance above this share of the approved budget is flagged and must be explained.
    unspent_threshold_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=DEFAULT_UNSPENT_THRESHOLD
    )
    # The optional ADS+ variables (adsplus.OPTIONAL) the program's reports collect.
    adsplus_variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Reminders (grants.accountability.reminders): days before the due date, and overdue notices
    # days after it; None means the defaults, an empty list none.
    reminder_days_before: Mapped[list[int] | None] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_DAYS_BEFORE)
    )
    overdue_days_after: Mapped[list[int] | None] = mapped_column(
        JSON, default=lambda: list(DEFAULT_OVERDUE_DAYS_AFTER)
    )
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    program: Mapped[Program] = relationship()


class Indicator(_ProgramWide, db.Model):
    """A program's indicator: data an officer edits (seeded from `data/indicators.yaml`)."""

    __tablename__ = "report_indicators"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = owner_key("programs", index=True)
    code: Mapped[str] = mapped_column(String(40))
    label_fr: Mapped[str] = mapped_column(String(255))
    label_en: Mapped[str] = mapped_column(String(255), default="")
    unit: Mapped[IndicatorUnit] = mapped_column(String(20), default=IndicatorUnit.OTHER)
    kind: Mapped[IndicatorKind] = mapped_column(String(20), default=IndicatorKind.COUNT)
    default_target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    program: Mapped[Program] = relationship()

    @property
    def label(self) -> str:
        """In the language being rendered (a PDF forced to French stays French)."""
        from grants.core.formatting import current_locale

        english = current_locale().startswith("en")
        return (self.label_en if english else "") or self.label_fr

    unit_label = label_of(IndicatorUnit, "unit")
    kind_label = label_of(IndicatorKind, "kind")


class IndicatorTarget(db.Model):
    """A yearly target for one agreement, instead of the indicator's default target."""

    __tablename__ = "report_indicator_targets"
    __table_args__ = (UniqueConstraint("agreement_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = owner_key("agreements", index=True)
    indicator_id: Mapped[int] = owner_key("report_indicators")
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    indicator: Mapped[Indicator] = relationship()


# -- the report -----------------------------------------------------------------------------------
class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agreement_id", "fiscal_year", "kind"),
        Index("ix_reports_program_status_due", "program_id", "status", "due_date"),
        Index("ix_reports_organization_due", "organization_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = owner_key("agreements")
    organization_id: Mapped[int] = owner_key("organizations")
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    kind: Mapped[ReportKind] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    scheduled_due: Mapped[date] = mapped_column(Date)  # from the reporting calendar
    due_date: Mapped[date] = mapped_column(Date, index=True)  # what reminders follow
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    statement_type: Mapped[StatementType | None] = mapped_column(String(20))
    status: Mapped[ReportStatus] = mapped_column(String(20), default=ReportStatus.TO_DO)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activities: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    people_total: Mapped[int | None] = mapped_column(Integer)
    # Why a breakdown does not add up to the total, by ADS+ variable code.
    reach_explanations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    unspent_explanation: Mapped[str] = mapped_column(Text, default="")

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set while the report, late past the grace period, holds the agreement's installments.
    installments_held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement: Mapped[Agreement] = relationship()
    organization: Mapped[Organization] = relationship()
    program: Mapped[Program] = relationship()
    pdf: Mapped[StoredFile | None] = relationship()
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    indicator_values: Mapped[list[ReportIndicatorValue]] = owned_rows("report", "ReportIndicatorValue.id")
    finance_lines: Mapped[list[ReportFinanceLine]] = owned_rows("report", "ReportFinanceLine.id")
    reach_counts: Mapped[list[ReportReachCount]] = owned_rows("report")
    attachments: Mapped[list[ReportAttachment]] = owned_rows("report", "ReportAttachment.id")
    change_requests: Mapped[list[ReportChangeRequest]] = owned_rows("report", "ReportChangeRequest.id")

    # -- what pages ask ---------------------------------------------------------------------------
    status_label = label_of(ReportStatus, "status")
    kind_label = label_of(ReportKind, "kind")
    statement_label = label_of(StatementType, "statement_type")

    @property
    def title(self) -> str:
        return f"{self.kind_label} {self.fiscal_year}"

    @property
    def has_financial_statements(self) -> bool:
        """Annual and final reports come with the financial statements."""
        return ReportKind(self.kind) is not ReportKind.MIDYEAR

    @property
    def is_editable_by_organization(self) -> bool:
        return ReportStatus(self.status) in EDITABLE_BY_ORGANIZATION

    @property
    def is_awaiting_submission(self) -> bool:
        return ReportStatus(self.status) in AWAITING_SUBMISSION

    @property
    def is_submitted(self) -> bool:
        return ReportStatus(self.status) is ReportStatus.SUBMITTED

    @property
    def is_accepted(self) -> bool:
        return ReportStatus(self.status) is ReportStatus.ACCEPTED

    @property
    def is_cancelled(self) -> bool:
        return ReportStatus(self.status) is ReportStatus.CANCELLED

    @property
    def is_late(self) -> bool:
        """Not submitted and past its due date (in Quebec today)."""
        return self.is_awaiting_submission and clock.today() > self.due_date

    @property
    def days_late(self) -> int:
        return (clock.today() - self.due_date).days if self.is_late else 0

    @property
    def is_extended(self) -> bool:
        return self.due_date != self.scheduled_due

    @property
    def open_change_request(self) -> ReportChangeRequest | None:
        if ReportStatus(self.status) is not ReportStatus.CHANGES_REQUESTED:
            return None
        return next((c for c in reversed(self.change_requests) if c.resolved_at is None), None)

    @property
    def open_sections(self) -> frozenset[ReportSection]:
        """The sections the organization may change now: all until submission, then only the
        ones an officer reopened."""
        status = ReportStatus(self.status)
        if status in AWAITING_SUBMISSION:
            return frozenset(ReportSection)
        change = self.open_change_request
        if change is not None:
            return frozenset(change.section_list)
        return frozenset()

    def as_due(self) -> ReportDue:
        """As the reporting calendar writes it (for `obligations.report_closing`)."""
        return ReportDue(
            self.fiscal_year,
            ReportKind(self.kind),
            self.period_start,
            self.period_end,
            self.scheduled_due,
        )

    def reach_of(self, variable: str) -> dict[str, int]:
        return {c.category: c.count for c in self.reach_counts if c.variable == variable}

    def reach_total_of(self, variable: str) -> int:
        """The people counted for one ADS+ variable (its breakdown's total)."""
        return sum(self.reach_of(variable).values())

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.kind} {self.fiscal_year} {self.status}>"


class ReportIndicatorValue(db.Model):
    __tablename__ = "report_indicator_values"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = owner_key("reports")
    indicator_id: Mapped[int] = owner_key("report_indicators")
    target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # frozen at submission
    achieved: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    comment: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship(back_populates="indicator_values")
    indicator: Mapped[Indicator] = relationship()


class ReportFinanceLine(db.Model):
    """One budget line of the request for the report's period: approved, spent, committed."""

    __tablename__ = "report_finance_lines"
    __table_args__ = (UniqueConstraint("report_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = owner_key("reports")
    category: Mapped[str] = mapped_column(String(20))  # grants.requests.models.BudgetCategory
    approved: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    spent: Mapped[Decimal | None] = mapped_column(Money)
    committed: Mapped[Decimal | None] = mapped_column(Money)

    report: Mapped[Report] = relationship(back_populates="finance_lines")

    @property
    def unspent(self) -> Decimal:
        return self.approved - (self.spent or Decimal(0)) - (self.committed or Decimal(0))


class ReportReachCount(db.Model):
    """How many people of one category of one ADS+ variable the report says it reached."""

    __tablename__ = "report_reach_counts"

    report_id: Mapped[int] = owner_key("reports", primary_key=True)
    variable: Mapped[str] = mapped_column(String(30), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    report: Mapped[Report] = relationship(back_populates="reach_counts")


class ReportAttachment(db.Model):
    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = owner_key("reports", index=True)
    kind: Mapped[ReportAttachmentKind] = mapped_column(String(30))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    report: Mapped[Report] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()

    kind_label = label_of(ReportAttachmentKind, "kind")


class ReportChangeRequest(db.Model):
    """An officer's request for changes: the sections it reopens, each with its comment."""

    __tablename__ = "report_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = owner_key("reports", index=True)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # section code -> comment
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the report was resubmitted

    report: Mapped[Report] = relationship(back_populates="change_requests")
    asked_by = relationship("User", foreign_keys=[asked_by_id])

    @property
    def section_list(self) -> list[ReportSection]:
        return [s for s in ReportSection if s.value in (self.comments or {})]

    def comment_for(self, section: ReportSection | str) -> str:
        return (self.comments or {}).get(ReportSection(section).value, "")

    def items(self) -> list[tuple[ReportSection, Any]]:
        return [(s, self.comment_for(s)) for s in self.section_list]


def step_label(step: int) -> str:
    """A reminder step in words: "30 jours avant l'échéance", "1 jour après l'échéance"."""
    if step < 0:
        return ngettext("%(num)s jour avant l'échéance", "%(num)s jours avant l'échéance", -step)
    return ngettext("%(num)s jour après l'échéance", "%(num)s jours après l'échéance", step)


WITHDRAWN_REASONS = {
    "submitted": _l("rapport déposé"),
    "cancelled": _l("rapport annulé"),
    "extended": _l("échéance reportée"),
    "superseded": _l("remplacé par le rappel suivant"),
}


class ReminderStatus(StrEnum):
    QUEUED = "queued"  # claimed by a scan, its emails are in the outbox
    WITHDRAWN = "withdrawn"  # found stale when an email was about to go (submitted, extended...)


class ReportReminder(db.Model):
    """One reminder step of one report (days relative to its due date: -30 … -1 before, 1, 14 after),
    claimed once by the daily scan (the unique constraint is the claim); its emails are in the
    outbox, linked by `ReportReminderEmail`."""

    __tablename__ = "report_reminders"
    __table_args__ = (UniqueConstraint("report_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)  # days from the due date: negative before, positive after
    due_date: Mapped[date] = mapped_column(Date)  # the due date the step was counted from
    claimed_on: Mapped[date] = mapped_column(Date)  # the scan's day (Quebec)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ReminderStatus] = mapped_column(String(10), default=ReminderStatus.QUEUED)
    withdrawn_reason: Mapped[str] = mapped_column(String(20), default="")

    report: Mapped[Report] = relationship()
    emails: Mapped[list[ReportReminderEmail]] = relationship(
        back_populates="reminder", cascade="all, delete-orphan", order_by="ReportReminderEmail.id"
    )

    @property
    def scheduled_on(self) -> date:
        """The step's day: its due date plus the step."""
        return self.due_date + timedelta(days=self.step)

    @property
    def is_withdrawn(self) -> bool:
        return ReminderStatus(self.status) is ReminderStatus.WITHDRAWN

    @property
    def step_label(self) -> str:
        return step_label(self.step)

    @property
    def withdrawn_label(self) -> str:
        return str(WITHDRAWN_REASONS.get(self.withdrawn_reason, self.withdrawn_reason))


class ReportReminderEmail(db.Model):
    """One email of a reminder, in the outbox (a contact of the organization, or an officer's copy)."""

    __tablename__ = "report_reminder_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("report_reminders.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("outbound_emails.id", ondelete="CASCADE"), unique=True)
    officer_copy: Mapped[bool] = mapped_column(default=False)
    due_date: Mapped[date] = mapped_column(Date)  # the due date the email speaks of

    reminder: Mapped[ReportReminder] = relationship(back_populates="emails")
    message = relationship("OutboundEmail")


# The status moves only through the workflow's table: a direct assignment raises.
WORKFLOW.guard(Report.status)
