"""Reads of requests other features show (an organization's home)."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from grants.core.db import db
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus


def drafts_of_organizations(organization_ids: set[int] | list[int]) -> list[FundingRequest]:
    """The organizations' requests still in draft, the most recently started first."""
    return list(
        db.session.scalars(
            db.select(FundingRequest)
            .where(
                FundingRequest.organization_id.in_(list(organization_ids)),
                FundingRequest.status == RequestStatus.DRAFT,
            )
            .options(selectinload(FundingRequest.organization), selectinload(FundingRequest.program))
            .order_by(FundingRequest.id.desc())
        )
    )
