"""Reads: a program's settings and indicators, an agreement's reports, the organization's list and
the officer's queue (one SQL statement, sorted, paginated and exported by the same code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func
from sqlalchemy.orm import selectinload

from grants.accountability.models import (
    DEFAULT_GRACE_DAYS,
    DEFAULT_UNSPENT_THRESHOLD,
    Indicator,
    IndicatorTarget,
    Report,
    ReportSettings,
)
from grants.accountability.workflow import AWAITING_SUBMISSION, LIVE_STATES, OPEN_STATES, ReportStatus
from grants.agreements.models import Agreement
from grants.core import clock
from grants.core.db import db
from grants.core.listing import SortSpec, columns, listing, where_given
from grants.organizations.models import Organization
from grants.programs.models import Program


# -- per program ------------------------------------------------------------------------------------
def settings_for(program_id: int) -> ReportSettings:
    """The program's settings; a program without its row gets the defaults (not stored)."""
    found = db.session.execute(
        db.select(ReportSettings).filter_by(program_id=program_id)
    ).scalar_one_or_none()
    if found is not None:
        return found
    return ReportSettings(
        program_id=program_id,
        grace_days=DEFAULT_GRACE_DAYS,
        unspent_threshold_percent=DEFAULT_UNSPENT_THRESHOLD,
        adsplus_variables=[],
    )


def indicators_of(program_id: int, *, active_only: bool = True) -> list[Indicator]:
    statement = db.select(Indicator).filter_by(program_id=program_id)
    if active_only:
        statement = statement.where(Indicator.active.is_(True))
    return list(db.session.scalars(statement.order_by(Indicator.sort_order, Indicator.id)))


def agreement_targets(agreement_id: int) -> dict[int, Decimal]:
    """The targets set for one agreement, by indicator id."""
    rows = db.session.execute(
        db.select(IndicatorTarget.indicator_id, IndicatorTarget.target).filter_by(agreement_id=agreement_id)
    ).all()
    return {indicator_id: target for indicator_id, target in rows}


def target_for(indicator: Indicator, targets: dict[int, Decimal]) -> Decimal | None:
    """The agreement's target for an indicator, else the program's default."""
    return targets.get(indicator.id, indicator.default_target)


# -- reports ----------------------------------------------------------------------------------------
def reports_of_agreement(agreement_id: int, *, live_only: bool = False) -> list[Report]:
    statement = db.select(Report).filter_by(agreement_id=agreement_id)
    if live_only:
        statement = statement.where(Report.status.in_([s.value for s in LIVE_STATES]))
    return list(db.session.scalars(statement.order_by(Report.due_date, Report.period_end, Report.id)))


def reports_of_organizations(organization_ids: set[int] | list[int]) -> list[Report]:
    """An organization's list: every report of its agreements but the cancelled ones, by due date."""
    return list(
        db.session.scalars(
            db.select(Report)
            .where(
                Report.organization_id.in_(list(organization_ids)),
                Report.status != ReportStatus.CANCELLED,
            )
            .options(selectinload(Report.organization), selectinload(Report.agreement))
            .order_by(Report.due_date, Report.id)
        )
    )


DUE_SOON_DAYS = 30
"""A report due within this many days is on the organization's home (the first reminder's step)."""


def reports_to_do(organization_ids: set[int] | list[int], today: date | None = None) -> list[Report]:
    """The organizations' reports not yet submitted that are late or due within `DUE_SOON_DAYS`,
    the most overdue first: the « À faire » of their home page."""
    today = today or clock.today()
    return list(
        db.session.scalars(
            db.select(Report)
            .where(
                Report.organization_id.in_(list(organization_ids)),
                Report.status.in_([s.value for s in AWAITING_SUBMISSION]),
                Report.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            )
            .options(selectinload(Report.organization), selectinload(Report.agreement))
            .order_by(Report.due_date, Report.id)
        )
    )


def late_condition(today: date) -> Any:
    """Not submitted and past its due date, in SQL."""
    return and_(Report.status.in_([s.value for s in AWAITING_SUBMISSION]), Report.due_date < today)


# -- the officer's queue ----------------------------------------------------------------------------
def days_late(status: str, due: date, today: date | None = None) -> int:
    """How many days a report is late (0 when it is not): for a queue row."""
    today = today or clock.today()
    return (today - due).days if ReportStatus(status) in AWAITING_SUBMISSION and due < today else 0


def _late_first(today: date) -> Any:
    """Sorts the late reports first, the most overdue on top (the same in SQLite and PostgreSQL)."""
    return case((late_condition(today), Report.due_date), else_=None)


@dataclass
class QueueFilters:
    program: str = ""
    region: str = ""
    status: str = ""  # "" = open reports; "all"; or one status
    kind: str = ""
    due_from: str = ""
    due_to: str = ""
    late: str = ""  # "1" = late ones only

    @classmethod
    def from_args(cls, args: Any) -> QueueFilters:
        return cls(**{name: (args.get(name) or "").strip()[:40] for name in cls.__dataclass_fields__})

    @staticmethod
    def _date(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    @property
    def due_from_date(self) -> date | None:
        return self._date(self.due_from)

    @property
    def due_to_date(self) -> date | None:
        return self._date(self.due_to)

    def errors(self) -> dict[str, str]:
        """A due date that is not a date: said on its filter, and ignored."""
        from flask_babel import gettext as _

        message = _("Entrez une date au format AAAA-MM-JJ, par exemple 2027-03-31.")
        return {
            name: message
            for name in ("due_from", "due_to")
            if getattr(self, name) and self._date(getattr(self, name)) is None
        }


def queue_sort(today: date | None = None) -> SortSpec:
    today = today or clock.today()
    return SortSpec(
        columns={
            "due": Report.due_date,
            "organization": func.lower(Organization.legal_name),
            "program": Program.code,
            "region": Organization.region_code,
            "status": Report.status,
            "fiscal_year": Report.fiscal_year,
            "late": _late_first(today),
            "submitted": Report.submitted_at,
        },
        default="due",
    )


_QUEUE_COLUMNS = columns(
    Report,
    *("id", "kind", "fiscal_year", "period_start", "period_end", "due_date", "status", "submitted_at"),
    agreement=Agreement.number,
    organization=Organization.legal_name,
    region=Organization.region_code,
    program=Program.code,
)


def queue_statement(
    programs: ColumnElement[bool], filters: QueueFilters, *, today: date | None = None
) -> Select:
    """The reports of the programs `programs` selects (a clause on Report.program_id), filtered."""
    today = today or clock.today()
    statement = listing(
        _QUEUE_COLUMNS,
        (Agreement, Agreement.id == Report.agreement_id),
        (Organization, Organization.id == Report.organization_id),
        (Program, Program.id == Report.program_id),
    ).where(programs)
    statement = where_given(
        statement,
        {Program.code: filters.program, Organization.region_code: filters.region, Report.kind: filters.kind},
    )
    if filters.status == "all":
        statement = statement.where(Report.status != ReportStatus.CANCELLED)
    elif filters.status in {s.value for s in ReportStatus}:
        statement = statement.where(Report.status == filters.status)
    else:
        statement = statement.where(Report.status.in_([s.value for s in OPEN_STATES]))
    if filters.due_from_date:
        statement = statement.where(Report.due_date >= filters.due_from_date)
    if filters.due_to_date:
        statement = statement.where(Report.due_date <= filters.due_to_date)
    if filters.late == "1":
        statement = statement.where(late_condition(today))
    return statement
