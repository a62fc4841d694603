"""The roles of the product's users: a vocabulary shared by accounts, permissions and pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.core.enums import LabelledEnum


class StaffRole(LabelledEnum):
    """A ministry role. A program officer is scoped to one or more programs."""

    PROGRAM_OFFICER = "program_officer", _l("Agent·e de programme")
    COORDINATION_CELL = "coordination_cell", _l("Cellule de coordination")
    SYSTEM_ADMIN = "system_admin", _l("Administration du système")


class MemberRole(LabelledEnum):
    """A user's role inside one organization."""

    ACCOUNT_ADMIN = "account_admin", _l("Administrateur·rice du compte")
    CONTRIBUTOR = "contributor", _l("Contributeur·rice")
    READ_ONLY = "read_only", _l("Lecture seule")


CONTRIBUTOR_ROLES = frozenset({MemberRole.ACCOUNT_ADMIN, MemberRole.CONTRIBUTOR})
"""The member roles that draft and submit an organization's requests and reports (and receive
the emails about them); a read-only member only reads."""
