"""Every state change of accounts: sign-in with lockout, tokens, password reset, invitations."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app

from grants.accounts.models import (
    Invitation,
    InvitationStatus,
    Membership,
    StaffAssignment,
    User,
    UserToken,
)
from grants.accounts.passwords import hash_password, needs_rehash, spend_one_verification, verify_password
from grants.core.audit import record, record_change, record_created
from grants.core.db import db, utcnow
from grants.core.roles import MemberRole, StaffRole
from grants.notifications import events
from grants.notifications.operations import notify


class TokenPurpose(StrEnum):
    RESET = "reset"
    INVITATION = "invitation"


class SignInOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass
class SignInResult:
    outcome: SignInOutcome
    user: User | None = None
    locked_until: datetime | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the active user whose session version is still the one in the cookie."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every session of the account stops working (this one, other browsers, copied cookies)."""
    user.session_version = User.session_version + 1  # one UPDATE … SET v = v + 1: no lost bump
    db.session.flush()


def sign_out(user: User) -> None:
    """Signing out ends every session of the account, not only this browser's."""
    end_all_sessions(user)
    record("user.signed_out", user, actor=user)


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=normalize_email(email))).scalar_one_or_none()


def create_user(
    email: str,
    *,
    full_name: str = "",
    password: str | None = None,
    language: str = "fr",
    actor: User | None = None,
) -> User:
    user = User(
        email=normalize_email(email),
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else None,
        preferred_language=language,
    )
    record_created("user.created", user, actor=actor, changes={"email": user.email})
    return user


def grant_staff_role(
    user: User, role: StaffRole, *, program_id: int | None = None, actor: User | None = None
) -> StaffAssignment:
    assignment = db.session.execute(
        db.select(StaffAssignment).filter_by(user_id=user.id, role=role, program_id=program_id)
    ).scalar_one_or_none()
    if assignment is None:
        assignment = StaffAssignment(user=user, role=role, program_id=program_id)
        changes = {"role": role.value, "program_id": program_id}
        record_created("user.staff_role_granted", assignment, actor=actor, changes=changes, subject=user)
    return assignment


def add_membership(
    user: User, organization_id: int, role: MemberRole, *, actor: User | None = None
) -> Membership:
    membership = db.session.execute(
        db.select(Membership).filter_by(user_id=user.id, organization_id=organization_id)
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(user=user, organization_id=organization_id, role=role)
        changes = {"user": user.email, "role": role.value}
        record_created("membership.created", membership, actor=actor, changes=changes)
    else:
        record_change("membership.role_changed", membership, "role", role, actor=actor)
    return membership


# -- sign-in and lockout --------------------------------------------------------------------------
def sign_in(email: str, password: str) -> SignInResult:
    """Check a password; the fifth failure in a row locks the account for a while.

    Before its password is checked, the account's row is locked (SELECT … FOR UPDATE) until the
    caller commits, so simultaneous attempts on one account take turns: each sees the failures
    counted before it, and once the account is locked no attempt checks its password. A locked
    account is recognized before taking the row lock, so an attack on it holds no lock. Every
    attempt that fails costs one Argon2 verification (a dummy one for an unknown address or a
    locked account), so its duration does not tell them apart; the caller answers them alike.
    """
    now = utcnow()
    user = db.session.execute(
        db.select(User).filter_by(email=normalize_email(email)).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if user is None:
        spend_one_verification(password)
        return SignInResult(SignInOutcome.INVALID)
    if not _is_locked(user, now):
        user = db.session.execute(
            db.select(User).filter_by(id=user.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
    if _is_locked(user, now):  # locked already, or by the attempt that held the row before this one
        spend_one_verification(password)
        return SignInResult(SignInOutcome.LOCKED, user, user.locked_until)
    if not verify_password(user.password_hash, password) or not user.active:
        _register_failure(user, now)
        if _is_locked(user, now):
            return SignInResult(SignInOutcome.LOCKED, user, user.locked_until)
        return SignInResult(SignInOutcome.INVALID, user)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("user.signed_in", user, actor=user)
    return SignInResult(SignInOutcome.OK, user)


def _is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _register_failure(user: User, now: datetime) -> None:
    """Count one more failure on the (row-locked) account; lock it at the configured limit."""
    config = current_app.config
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins = 0  # the previous lock has run out: a fresh count
        user.locked_until = None
    user.failed_logins += 1
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        record(
            "user.locked",
            user,
            changes={"failed_logins": user.failed_logins, "locked_until": user.locked_until},
        )


# -- one-time tokens ------------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User, purpose: TokenPurpose, lifetime: timedelta, *, organization_id: int | None = None
) -> str:
    """Create a token, keep only its hash, and return the clear value for the emailed link."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user=user,
            purpose=purpose,
            token_hash=_digest(token),
            organization_id=organization_id,
            expires_at=utcnow() + lifetime,
        )
    )
    db.session.flush()
    return token


def find_token(token: str, purpose: TokenPurpose) -> UserToken | None:
    """A usable token: right purpose, not used, not expired."""
    found = db.session.execute(
        db.select(UserToken).filter_by(token_hash=_digest(token), purpose=purpose)
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    return found


def request_password_reset(email: str) -> None:
    """Email a reset link if the address is known; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = issue_token(user, TokenPurpose.RESET, timedelta(hours=hours))
    notify(
        events.PASSWORD_RESET,
        to=user,
        link=_external("accounts.reset_password", token=token),
        hours=hours,
    )
    record("user.password_reset_requested", user)


def set_password_with_token(token: str, purpose: TokenPurpose, password: str) -> User | None:
    """Use a token once to set a password; also ends any lockout. None if the token is not valid."""
    found = find_token(token, purpose)
    if found is None:
        return None
    found.used_at = utcnow()
    user = found.user
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user)  # a stolen session does not outlive the new password
    # Any other outstanding reset link stops working too.
    for other in db.session.scalars(
        db.select(UserToken).filter_by(user_id=user.id, purpose=TokenPurpose.RESET, used_at=None)
    ):
        other.used_at = found.used_at
    record(
        "user.password_set",
        user,
        actor=user,
        changes={"via": purpose.value},
    )
    return user


class AlreadyMember(ValueError):
    """The address already belongs to a member of the organization."""


def invite_member(
    organization_id: int,
    organization_name: str,
    email: str,
    role: MemberRole,
    *,
    full_name: str = "",
    language: str = "fr",
    actor: User,
) -> Invitation:
    """Invite a person to join an organization: an account is made for a new address, and an
    emailed link lets the person accept (choosing a password if the account has none) or
    decline. Nothing is attached before the person accepts; a newer invitation replaces an
    older one still pending."""
    user = find_user(email)
    if user is not None and user.member_role(organization_id) is not None:
        raise AlreadyMember(user.email)
    if user is None:
        user = create_user(email, full_name=full_name, language=language, actor=actor)
    now = utcnow()
    for older in db.session.scalars(
        db.select(Invitation).filter_by(
            user_id=user.id, organization_id=organization_id, status=InvitationStatus.PENDING
        )
    ):
        older.status = InvitationStatus.CANCELLED
        older.answered_at = now
    days = current_app.config["INVITATION_DAYS"]
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization_id,
        user=user,
        role=role,
        invited_by_id=actor.id,
        token_hash=_digest(token),
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    notify(
        events.INVITATION,
        to=user,
        organization_id=organization_id,
        inviter=actor,
        organization_name=organization_name,
        role=role,
        link=_external("accounts.accept_invitation", token=token),
        days=days,
        has_password=user.password_hash is not None,
    )
    record(
        "membership.invited",
        invitation,
        actor=actor,
        changes={"email": user.email, "role": role.value},
    )
    return invitation


def find_invitation(token: str, *, for_answer: bool = False) -> Invitation | None:
    """A pending invitation for this emailed token, not expired. `for_answer` locks its row until
    the caller commits, so a double click accepts (or declines) once."""
    statement = db.select(Invitation).filter_by(token_hash=_digest(token))
    if for_answer:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = db.session.execute(statement).scalar_one_or_none()
    if found is None or found.status != InvitationStatus.PENDING or found.expires_at <= utcnow():
        return None
    return found


def pending_invitations(organization_id: int) -> list[Invitation]:
    """The invitations of an organization still waiting for an answer, newest first."""
    return list(
        db.session.scalars(
            db.select(Invitation)
            .filter_by(organization_id=organization_id, status=InvitationStatus.PENDING)
            .where(Invitation.expires_at > utcnow())
            .order_by(Invitation.created_at.desc())
        )
    )


class NotTheInvitedAccount(PermissionError):
    """Only the invited account answers its invitation."""


def join_by_invitation(
    invitation: Invitation, *, actor: User | None, password: str | None = None
) -> Membership:
    """The person joins the organization with the offered role. An account that has a password
    answers signed in as itself (`actor`); one that has none chooses its password here."""
    user = invitation.user
    if user.password_hash is None:
        if not password:
            raise NotTheInvitedAccount(invitation.id)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        end_all_sessions(user)
        record("user.password_set", user, actor=user, changes={"via": TokenPurpose.INVITATION.value})
    elif actor is None or actor.id != user.id:
        raise NotTheInvitedAccount(invitation.id)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.answered_at = utcnow()
    record("membership.invitation_accepted", invitation, actor=user, changes={"role": invitation.role})
    return add_membership(user, invitation.organization_id, MemberRole(invitation.role), actor=user)


def decline_invitation(invitation: Invitation, *, actor: User | None) -> None:
    """The person says no: nothing is attached, and the link stops working."""
    user = invitation.user
    if user.password_hash is not None and (actor is None or actor.id != user.id):
        raise NotTheInvitedAccount(invitation.id)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = utcnow()
    record("membership.invitation_declined", invitation, actor=user, changes={"role": invitation.role})


def _external(endpoint: str, **values: str) -> str:
    """An absolute link for an email, built on BASE_URL (never on the request's Host header)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


# -- account administration (administrators, through the account pages) --------------------------
class LastAdministrator(ValueError):
    """The change would leave the system without an active administrator."""


def _active_administrator_ids() -> set[int]:
    """The active administrators, their rows locked until the caller commits: two administrators
    removing each other at once take turns, and the second sees the first one's change."""
    admin_ids = (
        db.select(StaffAssignment.user_id)
        .where(StaffAssignment.role == StaffRole.SYSTEM_ADMIN)
        .scalar_subquery()
    )
    rows = db.session.scalars(
        db.select(User.id)
        .where(User.id.in_(admin_ids), User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return set(rows)


def _keep_another_administrator(user: User) -> None:
    """Refuse a change that takes away the last active administrator."""
    if _active_administrator_ids() - {user.id}:
        return
    if user.active and StaffRole.SYSTEM_ADMIN in user.staff_roles():
        raise LastAdministrator(user.id)


GLOBAL_STAFF_ROLES = (StaffRole.COORDINATION_CELL, StaffRole.SYSTEM_ADMIN)
"""The ministry roles held without a program (a program officer holds one row per program)."""


def set_staff_access(
    user: User,
    *,
    roles: set[StaffRole],
    program_ids: set[int],
    authorized_program_ids: set[int],
    actor: User,
) -> bool:
    """Give an account exactly these ministry roles, these programs (as program officer) and the
    budget authority on these of its programs; each grant, removal and authority change is audited
    in the account's history. Says whether anything changed. Refuses (LastAdministrator) to take
    the administrator role from the last active administrator."""
    if authorized_program_ids - program_ids:
        raise ValueError("budget authority needs the program")
    roles = {StaffRole(role) for role in roles} & set(GLOBAL_STAFF_ROLES)
    if StaffRole.SYSTEM_ADMIN not in roles and StaffRole.SYSTEM_ADMIN in user.staff_roles():
        _keep_another_administrator(user)
    changed = False
    for assignment in list(user.staff_assignments):
        role = StaffRole(assignment.role)
        keep = (
            assignment.program_id in program_ids
            if role is StaffRole.PROGRAM_OFFICER
            else role in roles and assignment.program_id is None
        )
        if not keep:
            record(
                "user.staff_role_revoked",
                user,
                actor=actor,
                changes={"role": role.value, "program_id": assignment.program_id},
            )
            user.staff_assignments.remove(assignment)
            changed = True
    db.session.flush()
    held = {(StaffRole(a.role), a.program_id) for a in user.staff_assignments}
    for role in GLOBAL_STAFF_ROLES:
        if role in roles and (role, None) not in held:
            grant_staff_role(user, role, actor=actor)
            changed = True
    for program_id in sorted(program_ids):
        if (StaffRole.PROGRAM_OFFICER, program_id) not in held:
            grant_staff_role(user, StaffRole.PROGRAM_OFFICER, program_id=program_id, actor=actor)
            changed = True
    db.session.flush()
    for assignment in user.staff_assignments:
        if assignment.role != StaffRole.PROGRAM_OFFICER:
            continue
        wanted = assignment.program_id in authorized_program_ids
        if bool(assignment.can_authorize) != wanted:
            record(
                "user.budget_authority_changed",
                user,
                actor=actor,
                changes={
                    "program_id": assignment.program_id,
                    "can_authorize": [assignment.can_authorize, wanted],
                },
            )
            assignment.can_authorize = wanted
            changed = True
    db.session.flush()
    return changed


def deactivate_user(user: User, *, actor: User) -> bool:
    """The account can no longer sign in, and every one of its sessions ends now. Refuses
    (LastAdministrator) for the last active administrator."""
    if not user.active:
        return False
    _keep_another_administrator(user)
    record_change("user.deactivated", user, "active", False, actor=actor)
    end_all_sessions(user)
    return True


def reactivate_user(user: User, *, actor: User) -> bool:
    """The account may sign in again (with its password, or through a reset)."""
    if user.active:
        return False
    user.failed_logins = 0
    user.locked_until = None
    return record_change("user.reactivated", user, "active", True, actor=actor)


def user_invitations(user: User) -> list[Invitation]:
    """The account's invitations still waiting for an answer (expired ones included: they are the
    ones worth sending again), newest first."""
    return list(
        db.session.scalars(
            db.select(Invitation)
            .filter_by(user_id=user.id, status=InvitationStatus.PENDING)
            .order_by(Invitation.created_at.desc())
        )
    )


def resend_invitation(invitation: Invitation, *, actor: User) -> Invitation:
    """Send a pending invitation again: a new link (the old one stops working), same organization
    and role, through the one invitation operation."""
    if invitation.status != InvitationStatus.PENDING:
        raise ValueError("only a pending invitation is sent again")
    organization = invitation.organization  # type: ignore[attr-defined]  # from Organization.invitations
    return invite_member(
        invitation.organization_id,
        organization.legal_name,
        invitation.user.email,
        MemberRole(invitation.role),
        language=invitation.user.preferred_language,
        actor=actor,
    )
