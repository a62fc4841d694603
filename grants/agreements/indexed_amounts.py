"""Agreement years as a yearly indexation sees them, in bulk: which amounts changed meanwhile, and
(re-exported from operations) the one way to set them. Another package reaches `agreement_years`
only through these."""

from __future__ import annotations

from sqlalchemy import Select

from grants.agreements.models import Agreement, AgreementYear
from grants.agreements.operations import set_indexed_amounts
from grants.core.db import db

__all__ = ["changed_year_amounts", "set_indexed_amounts"]


def changed_year_amounts(rows: Select, *, limit: int = 20) -> list[str]:
    """The numbers of the agreements whose amount for a year is no longer the expected one.

    `rows` is a SELECT of (agreement_id, fiscal_year, amount), labelled so, as for
    `set_indexed_amounts`: one statement whatever the number of rows. At most `limit` numbers, in
    order (enough to say which files to look at)."""
    expected = rows.subquery()
    return list(
        db.session.scalars(
            db.select(Agreement.number)
            .join(AgreementYear, AgreementYear.agreement_id == Agreement.id)
            .join(
                expected,
                (expected.c.agreement_id == AgreementYear.agreement_id)
                & (expected.c.fiscal_year == AgreementYear.fiscal_year),
            )
            .where(AgreementYear.amount != expected.c.amount)
            .order_by(Agreement.number)
            .limit(limit)
        )
    )
