"""The officer's queue as one SQL statement: filters, the total asked computed in SQL, sortable
columns. The page paginates it; the CSV export streams the same statement. Which programs it shows
is grants.core.permissions.program_filter's to say; which states, grants.requests.workflow's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select

from grants.accounts.models import User
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.inputs import whole_number
from grants.core.listing import QueryFilters, SortSpec
from grants.fiscal import FiscalYear
from grants.organizations.models import Organization
from grants.programs.models import Program
from grants.programs.queries import with_organization_and_program
from grants.requests.models import FundingRequest, RequestYear, request_nations, request_regions
from grants.requests.workflow import OPEN_FOR_REVIEW, SUBMITTED_ONCE, RequestStatus

total_asked = (
    select(func.coalesce(func.sum(RequestYear.requested_amount), 0))
    .where(RequestYear.request_id == FundingRequest.id)
    .correlate(FundingRequest)
    .scalar_subquery()
    .label("total_asked")
)

QUEUE_SORT = SortSpec(
    columns={
        "reference": FundingRequest.reference,
        "organization": func.lower(Organization.legal_name),
        "program": Program.code,
        "submitted": FundingRequest.submitted_at,
        "status": FundingRequest.status,
        "total": total_asked,
    },
    default="submitted",
)


@dataclass
class QueueFilters(QueryFilters):
    program: str = ""
    status: str = ""  # "" = open files; "all" = every submitted one; or one status
    region: str = ""
    nation: str = ""
    fiscal_year: str = ""
    assignee: str = ""  # "", "me", "none" or a user id


def queue_statement(programs: ColumnElement[bool], filters: QueueFilters, *, me_id: int) -> Select:
    """The submitted requests of the programs `programs` selects (a clause on FundingRequest.program_id)."""
    columns = select(
        FundingRequest.id,
        FundingRequest.reference,
        FundingRequest.title,
        FundingRequest.status,
        FundingRequest.submitted_at,
        FundingRequest.first_fiscal_year,
        func.coalesce(func.nullif(User.full_name, ""), User.email).label("assignee"),
        total_asked,
    )
    statement = (
        with_organization_and_program(columns, FundingRequest)
        .outerjoin(User, User.id == FundingRequest.assignee_id)
        .where(programs, FundingRequest.status.in_(sorted(SUBMITTED_ONCE)))
    )
    if filters.program:
        statement = statement.where(Program.code == filters.program)
    if filters.status == "all":
        pass
    elif filters.status in {s.value for s in RequestStatus}:
        statement = statement.where(FundingRequest.status == filters.status)
    else:
        statement = statement.where(FundingRequest.status.in_(sorted(OPEN_FOR_REVIEW)))
    if filters.region:
        statement = statement.where(
            exists().where(
                request_regions.c.request_id == FundingRequest.id,
                request_regions.c.region_code == filters.region,
            )
        )
    if filters.nation:
        statement = statement.where(
            exists().where(
                request_nations.c.request_id == FundingRequest.id,
                request_nations.c.nation_code == filters.nation,
            )
        )
    if filters.fiscal_year:
        try:
            year = FiscalYear.parse(filters.fiscal_year)
        except ValueError:
            year = None
        if year is not None:
            statement = statement.where(
                exists().where(
                    RequestYear.request_id == FundingRequest.id, RequestYear.fiscal_year == year.start_year
                )
            )
    if filters.assignee == "me":
        statement = statement.where(FundingRequest.assignee_id == me_id)
    elif filters.assignee == "none":
        statement = statement.where(FundingRequest.assignee_id.is_(None))
    elif (assignee_id := whole_number(filters.assignee)) is not None:
        statement = statement.where(FundingRequest.assignee_id == assignee_id)
    return statement


def history_of(funding_request: FundingRequest) -> list[AuditEntry]:
    """The request's audit trail, latest first (the analysis page's history)."""
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .filter_by(object_type="FundingRequest", object_id=str(funding_request.id))
            .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        )
    )


def agreement_of(request_id: int) -> Any:
    """The agreement an approval produced (None before)."""
    from grants.agreements.models import Agreement

    return db.session.execute(db.select(Agreement).filter_by(request_id=request_id)).scalar_one_or_none()
