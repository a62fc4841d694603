"""The cell's lists of imports and of other ministries' funding lines, as SQL statements: the pages
paginate them, the CSV exports stream the same statements (`grants.core.listing`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from grants.accounts.models import User
from grants.coordination.models import ExternalFunding, FundingImport, ImportLineError
from grants.core.db import db
from grants.core.listing import QueryFilters, SortSpec
from grants.fiscal import FiscalYear
from grants.reference.models import Region

IMPORT_SORT = SortSpec(
    columns={
        "uploaded": FundingImport.uploaded_at,
        "file": func.lower(FundingImport.file_name),
        "status": FundingImport.status,
        "loaded": FundingImport.lines_loaded,
        "unchanged": FundingImport.lines_unchanged,
        "refused": FundingImport.lines_refused,
    },
    default="-uploaded",
)

FUNDING_SORT = SortSpec(
    columns={
        "ministry": ExternalFunding.source_ministry,
        "record": ExternalFunding.record_id,
        "recipient": func.lower(ExternalFunding.recipient_name),
        "amount": ExternalFunding.amount,
        "fiscal_year": ExternalFunding.fiscal_year,
        "start": ExternalFunding.start_date,
    },
    default="ministry",
)


def imports_statement() -> Select:
    uploader = func.coalesce(func.nullif(User.full_name, ""), User.email).label("uploaded_by")
    return select(
        FundingImport.id,
        FundingImport.file_name,
        FundingImport.status,
        FundingImport.uploaded_at,
        FundingImport.lines_read,
        FundingImport.lines_loaded,
        FundingImport.lines_unchanged,
        FundingImport.lines_refused,
        FundingImport.refusal_code,
        uploader,
    ).outerjoin(User, User.id == FundingImport.uploaded_by_id)


def errors_statement(import_id: int) -> Select:
    return (
        select(ImportLineError.line, ImportLineError.code, ImportLineError.params)
        .where(ImportLineError.import_id == import_id)
        .order_by(ImportLineError.line, ImportLineError.id)
    )


@dataclass
class FundingFilters(QueryFilters):
    ministry: str = ""
    fiscal_year: str = ""
    region: str = ""
    q: str = ""
    import_id: str = ""

    def fiscal(self) -> FiscalYear | None:
        try:
            return FiscalYear.parse(self.fiscal_year) if self.fiscal_year else None
        except ValueError:
            return None

    def import_number(self) -> int | None:
        return int(self.import_id) if self.import_id.isdigit() and len(self.import_id) < 10 else None


def funding_statement(filters: FundingFilters) -> Select:
    statement = select(
        ExternalFunding.id,
        ExternalFunding.import_id,
        ExternalFunding.line,
        ExternalFunding.record_id,
        ExternalFunding.source_ministry,
        ExternalFunding.program,
        ExternalFunding.recipient_name,
        ExternalFunding.recipient_neq,
        ExternalFunding.recipient_city,
        ExternalFunding.recipient_region,
        Region.name_fr.label("region_fr"),
        Region.name_en.label("region_en"),
        ExternalFunding.project_title,
        ExternalFunding.amount,
        ExternalFunding.start_date,
        ExternalFunding.end_date,
        ExternalFunding.fiscal_year,
        ExternalFunding.measure_code,
    ).outerjoin(Region, Region.code == ExternalFunding.recipient_region)
    if filters.ministry:
        statement = statement.where(ExternalFunding.source_ministry == filters.ministry)
    fiscal = filters.fiscal()
    if fiscal is not None:
        statement = statement.where(ExternalFunding.fiscal_year == fiscal)
    if filters.region:
        statement = statement.where(ExternalFunding.recipient_region == filters.region)
    if filters.import_number() is not None:
        statement = statement.where(ExternalFunding.import_id == filters.import_number())
    if filters.q:
        pattern = "%" + filters.q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        statement = statement.where(
            or_(
                func.lower(ExternalFunding.recipient_name).like(pattern),
                func.lower(ExternalFunding.project_title).like(pattern),
                func.lower(ExternalFunding.program).like(pattern),
                func.lower(ExternalFunding.record_id).like(pattern),
                ExternalFunding.recipient_neq.like(pattern),
            )
        )
    return statement


def ministries() -> list[str]:
    return list(
        db.session.scalars(
            select(ExternalFunding.source_ministry).distinct().order_by(ExternalFunding.source_ministry)
        )
    )


def fiscal_years() -> list[FiscalYear]:
    return list(
        db.session.scalars(
            select(ExternalFunding.fiscal_year).distinct().order_by(ExternalFunding.fiscal_year.desc())
        )
    )
