"""The roles of the product's users: a vocabulary shared by accounts, permissions and pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum


class StaffRole(LabelledEnum):
    """A ministry role. A program officer is scoped to one or more programs."""

    PROGRAM_OFFICER = "program_officer"
    COORDINATION_CELL = "coordination_cell"
    SYSTEM_ADMIN = "system_admin"


class MemberRole(LabelledEnum):
    """A user's role inside one organization."""

    ACCOUNT_ADMIN = "account_admin"
    CONTRIBUTOR = "contributor"
    READ_ONLY = "read_only"


CONTRIBUTOR_ROLES = frozenset({MemberRole.ACCOUNT_ADMIN, MemberRole.CONTRIBUTOR})
"""The member roles that draft and submit an organization's requests and reports (and receive
the emails about them); a read-only member only reads."""

STAFF_ROLE_LABELS = StaffRole.labelled(
    {
        StaffRole.PROGRAM_OFFICER: _l("Agent·e de programme"),
        StaffRole.COORDINATION_CELL: _l("Cellule de coordination"),
        StaffRole.SYSTEM_ADMIN: _l("Administration du système"),
    }
)

MEMBER_ROLE_LABELS = MemberRole.labelled(
    {
        MemberRole.ACCOUNT_ADMIN: _l("Administrateur·rice du compte"),
        MemberRole.CONTRIBUTOR: _l("Contributeur·rice"),
        MemberRole.READ_ONLY: _l("Lecture seule"),
    }
)
