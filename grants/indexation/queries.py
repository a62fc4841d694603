"""What the indexation pages, the CLI and the operations read: a program's runs, its applied or
live run of a year, a run's lines and totals (counted by the database), an agreement's indexations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func

from grants.agreements.models import Agreement
from grants.core import permissions
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.indexation.models import IndexationLine, IndexationRun
from grants.indexation.preview import Totals
from grants.indexation.workflow import LIVE, RunStatus
from grants.programs.models import Program


def indexed_programs(user: Any) -> list[Program]:
    """The indexed programs `user` manages (all of them for an administrator), by code."""
    programs = db.session.scalars(db.select(Program).filter_by(indexed=True).order_by(Program.code))
    return [p for p in programs if permissions.can_manage_indexation(user, p)]


def program_by_code(code: str) -> Program | None:
    return db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()


def runs_of(programs: list[Program]) -> list[IndexationRun]:
    """The programs' runs, latest fiscal year first."""
    return list(
        db.session.scalars(
            db.select(IndexationRun)
            .where(IndexationRun.program_id.in_([p.id for p in programs]))
            .order_by(IndexationRun.fiscal_year.desc(), IndexationRun.id.desc())
        )
    )


def lines_of(run: IndexationRun) -> Select:
    """A run's lines with their agreement and organization, in order (to page or export)."""
    return (
        db.select(IndexationLine)
        .filter_by(run_id=run.id)
        .options(db.joinedload(IndexationLine.agreement).joinedload(Agreement.organization))
        .order_by(IndexationLine.id)
    )


def applied_run(program: Program, year: FiscalYear) -> IndexationRun | None:
    """The program's applied indexation of `year`, if any (at most one is live)."""
    return db.session.execute(
        db.select(IndexationRun).where(
            IndexationRun.program_id == program.id,
            IndexationRun.fiscal_year == year,
            IndexationRun.status == RunStatus.APPLIED,
        )
    ).scalar_one_or_none()


def live_run(program: Program, year: FiscalYear) -> IndexationRun | None:
    """The program's run of `year` that is not cancelled nor reversed, if any (at most one)."""
    return db.session.execute(
        db.select(IndexationRun).where(
            IndexationRun.program_id == program.id,
            IndexationRun.fiscal_year == year,
            IndexationRun.status.in_(LIVE),
        )
    ).scalar_one_or_none()


def applied_lines_of(agreement_id: int) -> list[IndexationLine]:
    """An agreement's applied indexations, by fiscal year (its page and the organization's view)."""
    return list(
        db.session.scalars(
            db.select(IndexationLine)
            .join(IndexationRun)
            .where(
                IndexationLine.agreement_id == agreement_id,
                IndexationLine.is_kept,
                IndexationRun.status == RunStatus.APPLIED,
            )
            .order_by(IndexationRun.fiscal_year)
        )
    )


def run_totals(run: IndexationRun) -> Totals:
    """The run's counts and sums, computed by the database (a run may hold 10 000 lines)."""
    kept = IndexationLine.is_kept
    grants, indexed, base, new = db.session.execute(
        db.select(
            func.count(IndexationLine.id),
            func.count(IndexationLine.id).filter(kept),
            func.coalesce(func.sum(IndexationLine.base_amount).filter(kept), 0),
            func.coalesce(func.sum(IndexationLine.new_amount).filter(kept), 0),
        ).where(IndexationLine.run_id == run.id)
    ).one()
    return Totals(grants, indexed, grants - indexed, Decimal(base), Decimal(new))
