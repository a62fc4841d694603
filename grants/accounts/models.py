"""Users, their memberships in organizations, their ministry roles and their one-time tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.core.db import UTCDateTime, db, utcnow
from grants.core.roles import MemberRole, StaffRole


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    preferred_language: Mapped[str] = mapped_column(String(2), default="fr")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id kept in the session cookie (get_id): bumping it ends every session of the
    # account at once (sign-out, new password), including copies of an old cookie.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    staff_assignments: Mapped[list[StaffAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # -- flask-login ------------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        """`<id>:<session version>`: a session made before the version changed no longer loads."""
        return f"{self.id}:{self.session_version}"

    # -- what the permission layer asks -----------------------------------------------------------
    def staff_roles(self) -> set[StaffRole]:
        return {StaffRole(a.role) for a in self.staff_assignments}

    def officer_program_ids(self) -> set[int]:
        return {
            a.program_id
            for a in self.staff_assignments
            if a.role == StaffRole.PROGRAM_OFFICER and a.program_id is not None
        }

    def authorized_program_ids(self) -> set[int]:
        return {
            a.program_id
            for a in self.staff_assignments
            if a.role == StaffRole.PROGRAM_OFFICER and a.program_id is not None and a.can_authorize
        }

    def member_role(self, organization_id: int) -> MemberRole | None:
        for membership in self.memberships:
            if membership.organization_id == organization_id:
                return MemberRole(membership.role)
        return None

    def organization_ids(self) -> set[int]:
        return {m.organization_id for m in self.memberships}

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_assignments)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(db.Model):
    """A user's role in one organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(String(20), default=MemberRole.CONTRIBUTOR)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    # `organization` comes from Organization.memberships (organizations sit above accounts).

    @property
    def role_label(self) -> str:
        return MemberRole(self.role).label


class StaffAssignment(db.Model):
    """A ministry role held by a user; program officers hold one row per program."""

    __tablename__ = "staff_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[StaffRole] = mapped_column(String(30))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"))
    # Delegated budget authority on this program: may override the envelope and approve
    # indexation runs (grants.core.permissions.can_authorize_for_program).
    can_authorize: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="staff_assignments")


class UserToken(db.Model):
    """A single-use, expiring token sent by email (password reset, invitation); only its hash is kept."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # replaced by a newer invitation to the same organization


class Invitation(db.Model):
    """An organization's offer of membership to one account. The membership is made only when the
    person accepts, signed in as that account (or activating it): no account is attached to an
    organization without its owner's consent. Only the hash of the emailed token is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(String(20))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[InvitationStatus] = mapped_column(String(10), default=InvitationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    # `organization` comes from Organization.invitations (organizations sit above accounts).

    @property
    def role_label(self) -> str:
        return MemberRole(self.role).label
