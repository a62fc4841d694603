"""Questions about the reference data that more than one page asks."""

from __future__ import annotations

from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.reference.models import ActionPlan


def current_plan(year: FiscalYear | None = None) -> ActionPlan | None:
    """The action plan in force in `year` (today's fiscal year by default): the last plan started
    by then. The plan 2026-2029 takes over from 2021-2026 on 1 April 2026; a plan loaded ahead of
    its first year is not current yet."""
    year = year or current_fiscal_year()
    return db.session.execute(
        db.select(ActionPlan)
        .where(ActionPlan.start_year <= year.start_year)
        .order_by(ActionPlan.start_year.desc())
        .limit(1)
    ).scalar_one_or_none()
