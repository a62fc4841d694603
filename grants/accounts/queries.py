"""Who the product writes to: the members of an organization, the officers of a program."""

from __future__ import annotations

from collections.abc import Iterable

from grants.accounts.models import Membership, StaffAssignment, User
from grants.core.db import db
from grants.core.roles import CONTRIBUTOR_ROLES, StaffRole
from grants.notifications.operations import RecipientFinders, register_recipient_finders


def recipients_of_organization(organization_id: int, *, contributors_only: bool = False) -> list[User]:
    """The active members of an organization who receive its emails (each in their language)."""
    statement = (
        db.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.active.is_(True))
        .order_by(User.id)
    )
    if contributors_only:
        statement = statement.where(Membership.role.in_(CONTRIBUTOR_ROLES))
    return list(db.session.scalars(statement))


def officers_of_program(program_id: int) -> list[User]:
    """The active program officers assigned to a program."""
    return list(
        db.session.scalars(
            db.select(User)
            .join(StaffAssignment, StaffAssignment.user_id == User.id)
            .where(
                StaffAssignment.program_id == program_id,
                StaffAssignment.role == StaffRole.PROGRAM_OFFICER,
                User.active.is_(True),
            )
            .order_by(User.id)
        ).unique()
    )


def recipients_of_organizations(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """`recipients_of_organization` for many organizations in one query (the reminder scan)."""
    found: dict[int, list[User]] = {}
    ids = sorted(set(organization_ids))
    if ids:
        rows = db.session.execute(
            db.select(Membership.organization_id, User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id.in_(ids), User.active.is_(True))
            .order_by(Membership.organization_id, User.id)
        )
        for organization_id, user in rows:
            found.setdefault(organization_id, []).append(user)
    return found


def officers_of_programs(program_ids: Iterable[int]) -> dict[int, list[User]]:
    """`officers_of_program` for many programs in one query (the reminder scan)."""
    found: dict[int, list[User]] = {}
    ids = sorted(set(program_ids))
    if ids:
        rows = db.session.execute(
            db.select(StaffAssignment.program_id, User)
            .join(StaffAssignment, StaffAssignment.user_id == User.id)
            .where(
                StaffAssignment.program_id.in_(ids),
                StaffAssignment.role == StaffRole.PROGRAM_OFFICER,
                User.active.is_(True),
            )
            .order_by(StaffAssignment.program_id, User.id)
            .distinct()
        )
        for program_id, user in rows:
            found.setdefault(program_id, []).append(user)
    return found


register_recipient_finders(
    RecipientFinders(organization=recipients_of_organization, program_officers=officers_of_program)
)
