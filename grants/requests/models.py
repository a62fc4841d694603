"""A funding request and what it holds: amounts and budget per fiscal year, other funding sources,
attachments, information requests. Its status moves only through grants.requests.workflow (the
column is guarded: a direct assignment raises StatusWriteRefused)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from grants.calls.models import Call
from grants.core.clock import now
from grants.core.db import FiscalYearType, Money, UTCDateTime, db, link_table
from grants.core.enums import LabelledEnum
from grants.files.models import StoredFile
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program
from grants.reference.models import Measure, Nation, Region
from grants.requests.workflow import (
    AWAITING_DECISION,
    EDITABLE_BY_ORGANIZATION,
    IN_ANALYSIS,
    OPEN_FOR_REVIEW,
    REQUEST_WORKFLOW,
    SUBMITTED_ONCE,
    RequestEvent,
    RequestStatus,
    status_in,
)

_REQUEST = ("request_id", "funding_requests.id")
request_measures = link_table("request_measures", _REQUEST, ("measure_id", "measures.id"))
request_regions = link_table("request_regions", _REQUEST, ("region_code", "regions.code"))
request_nations = link_table("request_nations", _REQUEST, ("nation_code", "nations.code"))


class RequestSection(LabelledEnum):
    """The parts of the form an officer can reopen with an information request."""

    PROJECT = "project", _l("Projet ou mission")  # title, summary, objectives
    # target populations, plan measures served
    POPULATIONS = "populations", _l("Populations visées et mesures du plan")
    TERRITORY = "territory", _l("Territoire desservi")  # regions and nations served
    # period, budget table, amounts asked per fiscal year
    BUDGET = "budget", _l("Période, budget et montants demandés")
    OTHER_FUNDING = "other_funding", _l("Autres sources de financement")
    ATTACHMENTS = "attachments", _l("Pièces jointes")


class Recommendation(LabelledEnum):
    APPROVE = "approve", _l("Accepter")
    REFUSE = "refuse", _l("Refuser")


class FundingRequest(db.Model):
    __tablename__ = "funding_requests"
    __table_args__ = (
        Index("ix_funding_requests_program_status", "program_id", "status"),
        Index("ix_funding_requests_org_created", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    status: Mapped[RequestStatus] = mapped_column(String(20), default=RequestStatus.DRAFT, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    title: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    target_populations: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    first_fiscal_year: Mapped[FiscalYear | None] = mapped_column(FiscalYearType, index=True)

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recommendation: Mapped[Recommendation | None] = mapped_column(String(10))
    recommendation_comment: Mapped[str] = mapped_column(Text, default="")
    decision_conditions: Mapped[str] = mapped_column(Text, default="")
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    envelope_override_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    creation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledgement_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    program: Mapped[Program] = relationship()
    call: Mapped[Call | None] = relationship()
    assignee = relationship("User", foreign_keys=[assignee_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    acknowledgement: Mapped[StoredFile | None] = relationship()
    years: Mapped[list[RequestYear]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestYear.fiscal_year"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="BudgetLine.fiscal_year"
    )
    other_funding: Mapped[list[OtherFunding]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="OtherFunding.id"
    )
    attachments: Mapped[list[RequestAttachment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestAttachment.id"
    )
    info_requests: Mapped[list[InfoRequest]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="InfoRequest.id"
    )
    measures: Mapped[list[Measure]] = relationship(secondary=request_measures, order_by=Measure.sort_order)
    regions: Mapped[list[Region]] = relationship(secondary=request_regions, order_by=Region.code)
    nations: Mapped[list[Nation]] = relationship(secondary=request_nations, order_by=Nation.code)

    @property
    def status_label(self) -> str:
        return RequestStatus(self.status).label

    # -- where the request stands (grants.requests.workflow's named sets) ----------------------------
    is_draft = status_in({RequestStatus.DRAFT}, "Not submitted yet: the organization's alone.")
    is_submitted = status_in(SUBMITTED_ONCE, "Submitted at some point: the ministry sees it.")
    is_awaiting_information = status_in({RequestStatus.INFO_REQUESTED}, "The officer asked for information.")
    is_open_for_review = status_in(OPEN_FOR_REVIEW, "Submitted and not decided yet: in the officer's queue.")
    is_in_analysis = status_in(IN_ANALYSIS, "The officer may score the assessment grid.")
    is_awaiting_decision = status_in(AWAITING_DECISION, "Recommended: the decision may be taken.")
    is_refused = status_in({RequestStatus.REFUSED}, "Refused (the reasons are in decision_reasons).")

    @property
    def is_editable_by_organization(self) -> bool:
        """A draft, or a request whose officer asked for information (the reopened sections)."""
        return self.status in EDITABLE_BY_ORGANIZATION and bool(self.open_sections)

    @property
    def open_sections(self) -> set[RequestSection]:
        """The sections the organization may change now: all of a draft, the asked ones when reopened."""
        if self.is_draft:
            return set(RequestSection)
        info = self.open_info_request
        if self.is_awaiting_information and info is not None:
            return set(info.section_list)
        return set()

    @property
    def is_withdrawable(self) -> bool:
        """The organization may still withdraw it (not decided, not withdrawn)."""
        return REQUEST_WORKFLOW.can(self, RequestEvent.WITHDRAW)

    # -- figures -----------------------------------------------------------------------------------
    @property
    def fiscal_years(self) -> list[FiscalYear]:
        """The fiscal years the requested period touches (empty while the period is not set)."""
        if self.start_date is None or self.end_date is None or self.end_date < self.start_date:
            return []
        return FiscalYear.spanning(self.start_date, self.end_date)

    @property
    def budget_totals(self) -> dict[FiscalYear, Decimal]:
        """The budget's total of each fiscal year (every expense category)."""
        return budget_totals((line.fiscal_year, line.amount) for line in self.budget_lines)

    @property
    def budget_by_cell(self) -> dict[tuple[FiscalYear, BudgetCategory], Decimal]:
        """The budget table: the amount of each (fiscal year, expense category) cell."""
        return {(line.fiscal_year, BudgetCategory(line.category)): line.amount for line in self.budget_lines}

    @property
    def total_requested(self) -> Decimal:
        return sum((y.requested_amount for y in self.years), Decimal("0.00"))

    @property
    def total_approved(self) -> Decimal:
        return sum((y.approved_amount or Decimal(0) for y in self.years), Decimal("0.00"))

    @property
    def open_info_request(self) -> InfoRequest | None:
        return next((i for i in reversed(self.info_requests) if i.answered_at is None), None)

    def year(self, fiscal_year: FiscalYear) -> RequestYear | None:
        return next((y for y in self.years if y.fiscal_year == fiscal_year), None)

    def __repr__(self) -> str:
        return f"<FundingRequest {self.id} {self.reference} {self.status}>"


class PartOfRequest:
    """A row of one request's file, deleted with it: its `id`, `request_id` and `request` (the
    request's collection named by `request_collection`; `request_id` indexed unless a unique
    constraint that starts with it already is)."""

    request_collection: ClassVar[str]
    request_id_indexed: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)

    @declared_attr
    def request_id(cls) -> Mapped[int]:  # noqa: N805 (a class attribute)
        return mapped_column(
            ForeignKey("funding_requests.id", ondelete="CASCADE"),
            index=cls.request_id_indexed or None,
            sort_order=-1,
        )

    @declared_attr
    def request(cls) -> Mapped[FundingRequest]:  # noqa: N805 (a class attribute)
        return relationship(FundingRequest, back_populates=cls.request_collection)


class RequestYear(PartOfRequest, db.Model):
    """The amount asked (and, once decided, approved) for one fiscal year of the request."""

    __tablename__ = "request_years"
    __table_args__ = (UniqueConstraint("request_id", "fiscal_year"),)
    request_collection = "years"
    request_id_indexed = False

    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    requested_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)


def budget_totals(cells: Iterable[tuple[FiscalYear, Decimal | None]]) -> dict[FiscalYear, Decimal]:
    """The total of each fiscal year of budget cells (fiscal year, amount), saved or typed."""
    totals: dict[FiscalYear, Decimal] = {}
    for year, amount in cells:
        totals[year] = totals.get(year, Decimal("0.00")) + (amount or Decimal(0))
    return totals


class BudgetCategory(LabelledEnum):
    SALARIES = "salaries", _l("Salaires et charges sociales")
    OPERATING = "operating", _l("Fonctionnement")
    TRAVEL = "travel", _l("Déplacements")
    RENT = "rent", _l("Loyer")
    TRAINING = "training", _l("Formation")
    ADMINISTRATION = "administration", _l("Frais d'administration")
    OTHER = "other", _l("Autres dépenses")


class BudgetLine(PartOfRequest, db.Model):
    """One cell of the budget table: an expense category in a fiscal year."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("request_id", "fiscal_year", "category"),)
    request_collection = "budget_lines"
    request_id_indexed = False

    fiscal_year: Mapped[FiscalYear] = mapped_column(FiscalYearType)
    category: Mapped[BudgetCategory] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))


class FundingSourceStatus(LabelledEnum):
    OBTAINED = "obtained", _l("Obtenu")
    REQUESTED = "requested", _l("Demandé")


class OtherFunding(PartOfRequest, db.Model):
    """Another source of funding for the same activities; the coordination cell reads these."""

    __tablename__ = "other_funding_sources"
    request_collection = "other_funding"

    funder: Mapped[str] = mapped_column(String(255))
    program_name: Mapped[str] = mapped_column(String(255), default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[FundingSourceStatus] = mapped_column(String(10))

    @property
    def status_label(self) -> str:
        return FundingSourceStatus(self.status).label


class AttachmentKind(LabelledEnum):
    BOARD_RESOLUTION = "board_resolution", _l("Résolution du conseil d'administration")
    FINANCIAL_STATEMENTS = "financial_statements", _l("Derniers états financiers")
    SUPPORT_LETTER = "support_letter", _l("Lettre d'appui")
    OTHER = "other", _l("Autre document")


class RequestAttachment(PartOfRequest, db.Model):
    __tablename__ = "request_attachments"
    request_collection = "attachments"

    kind: Mapped[AttachmentKind] = mapped_column(String(30))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    file: Mapped[StoredFile] = relationship()

    @property
    def kind_label(self) -> str:
        return AttachmentKind(self.kind).label


class InfoRequest(PartOfRequest, db.Model):
    """An officer's request for more information: the sections it reopens, and the answer."""

    __tablename__ = "info_requests"
    request_collection = "info_requests"

    sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asked_by = relationship("User", foreign_keys=[asked_by_id])

    @property
    def section_list(self) -> list[RequestSection]:
        return [RequestSection(s) for s in self.sections]


REQUEST_WORKFLOW.guard(FundingRequest.status)
