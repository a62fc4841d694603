"""The roles of the product's users: a vocabulary shared by accounts, permissions and pages."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class StaffRole(StrEnum):
    """A ministry role. A program officer is scoped to one or more programs."""

    PROGRAM_OFFICER = "program_officer"
    COORDINATION_CELL = "coordination_cell"
    SYSTEM_ADMIN = "system_admin"

    @property
    def label(self) -> str:
        return str(STAFF_ROLE_LABELS[self])


class MemberRole(StrEnum):
    """A user's role inside one organization."""

    ACCOUNT_ADMIN = "account_admin"
    CONTRIBUTOR = "contributor"
    READ_ONLY = "read_only"

    @property
    def label(self) -> str:
        return str(MEMBER_ROLE_LABELS[self])


STAFF_ROLE_LABELS = {
    StaffRole.PROGRAM_OFFICER: _l("Agent·e de programme"),
    StaffRole.COORDINATION_CELL: _l("Cellule de coordination"),
    StaffRole.SYSTEM_ADMIN: _l("Administration du système"),
}

MEMBER_ROLE_LABELS = {
    MemberRole.ACCOUNT_ADMIN: _l("Administrateur·rice du compte"),
    MemberRole.CONTRIBUTOR: _l("Contributeur·rice"),
    MemberRole.READ_ONLY: _l("Lecture seule"),
}
