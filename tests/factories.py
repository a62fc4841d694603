"""Factories for test data (factory_boy on the Flask-SQLAlchemy session)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from grants.accounts.models import Membership, StaffAssignment, User
from grants.accounts.passwords import hash_password
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.organizations.models import Organization, OrganizationKind

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganizationFactory(_Base):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Organisme d'essai {n}")
    kind = OrganizationKind.COMMUNITY
    city = "Montréal"
    region_code = "06"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Personne {n}")
    password_hash = _PASSWORD_HASH
    preferred_language = "fr"


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MemberRole.ACCOUNT_ADMIN


class StaffAssignmentFactory(_Base):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory)
    role = StaffRole.PROGRAM_OFFICER
    program_id = None


def member(
    role: MemberRole = MemberRole.ACCOUNT_ADMIN,
    organization: Organization | None = None,
    **user_fields: object,
) -> User:
    """A user who belongs to an organization (a new one unless given)."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organization=organization or OrganizationFactory(), role=role)
    return user


def staff(role: StaffRole, *program_codes: str, **user_fields: object) -> User:
    """A ministry user; program officers get one assignment per program code."""
    from grants.programs.models import Program

    user = UserFactory(**user_fields)
    if role is StaffRole.PROGRAM_OFFICER:
        for code in program_codes:
            program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one()
            StaffAssignmentFactory(user=user, role=role, program_id=program.id)
    else:
        StaffAssignmentFactory(user=user, role=role)
    return user
