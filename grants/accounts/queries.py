"""Who the product writes to: the members of an organization, the officers of a program."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, column, func, or_, table, type_coerce
from sqlalchemy.types import TypeDecorator

from grants.accounts.models import Membership, StaffAssignment, User
from grants.core.db import db
from grants.core.listing import QueryFilters, SortSpec
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


# -- the accounts list (administrators) -----------------------------------------------------------
# Programs sit above accounts: their table is named here, not their model imported.
_programs = table("programs", column("id"), column("code"), column("name_fr"), column("name_en"))


class _CodeList(TypeDecorator[list[str]]):
    """Codes aggregated into one comma-joined string, read back as a sorted list without repeats.

    `string_agg` on PostgreSQL, `group_concat` on SQLite (`make run`): `array_agg` exists only on
    PostgreSQL, and SQLite refuses DISTINCT with a separator, so repeats go here."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> list[str]:
        return sorted(set(value.split(","))) if value else []


def _codes(code_column: Any) -> Any:
    """The codes of a correlated subquery as one list (roles and program codes hold no comma)."""
    return type_coerce(func.aggregate_strings(code_column, ","), _CodeList())


@dataclass(frozen=True)
class AccountFilters(QueryFilters):
    q: str = ""
    role: str = ""  # a StaffRole value, "member" (organization members) or "" (all)
    active: str = ""  # "yes", "no" or "" (both)


def accounts_statement(filters: AccountFilters) -> Select:
    """One row per account: name, email, staff roles, programs (codes), organization roles,
    active, last sign-in."""
    staff_roles = (
        db.select(_codes(StaffAssignment.role)).where(StaffAssignment.user_id == User.id).scalar_subquery()
    )
    programs = (
        db.select(_codes(_programs.c.code))
        .select_from(StaffAssignment)
        .join(_programs, _programs.c.id == StaffAssignment.program_id)
        .where(StaffAssignment.user_id == User.id)
        .scalar_subquery()
    )
    member_roles = db.select(_codes(Membership.role)).where(Membership.user_id == User.id).scalar_subquery()
    statement = db.select(
        User.id,
        User.full_name,
        User.email,
        User.active,
        User.last_login_at,
        staff_roles.label("staff_roles"),
        programs.label("programs"),
        member_roles.label("member_roles"),
    )
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(User.email.ilike(pattern), User.full_name.ilike(pattern)))
    if filters.role == "member":
        statement = statement.where(db.select(Membership.id).where(Membership.user_id == User.id).exists())
    elif filters.role in {role.value for role in StaffRole}:
        statement = statement.where(
            db.select(StaffAssignment.id)
            .where(StaffAssignment.user_id == User.id, StaffAssignment.role == filters.role)
            .exists()
        )
    if filters.active in ("yes", "no"):
        statement = statement.where(User.active.is_(filters.active == "yes"))
    return statement


ACCOUNTS_SORT = SortSpec(
    columns={"name": User.full_name, "email": User.email, "last_login": User.last_login_at, "id": User.id},
    default="email",
)


def program_choices() -> list[tuple[int, str, str, str]]:
    """Every program as (id, code, French name, English name), by code: the assignment choices."""
    return [
        tuple(row)  # type: ignore[misc]
        for row in db.session.execute(
            db.select(_programs.c.id, _programs.c.code, _programs.c.name_fr, _programs.c.name_en).order_by(
                _programs.c.code
            )
        )
    ]
