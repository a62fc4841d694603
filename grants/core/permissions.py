"""Who may see and do what: the one permission layer, checked server-side on every route.

Every view is private unless marked `@public`; `enforce_sign_in` runs before each request.
Object access answers 404, never 403, so a guessed URL reveals nothing about another
organization's files. Rules take the user and plain ids, so views, CLI and tasks share them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from grants.core.roles import MemberRole, StaffRole

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ATTR = "_grants_public"


class Principal(Protocol):
    """What the rules need to know about a user (the accounts User model provides it)."""

    is_authenticated: bool

    def staff_roles(self) -> set[StaffRole]: ...

    def officer_program_ids(self) -> set[int]: ...

    def authorized_program_ids(self) -> set[int]: ...

    def member_role(self, organization_id: int) -> MemberRole | None: ...

    def organization_ids(self) -> set[int]: ...


# -- marking and enforcing ------------------------------------------------------------------------
def public(view: F) -> F:
    """Let anonymous visitors reach this view (sign-in, password reset, health check)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def enforce_sign_in() -> Any:
    """before_request: every endpoint that is not public needs a signed-in user."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, PUBLIC_ATTR, False):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return None


def require_staff(*roles: StaffRole) -> Callable[[F], F]:
    """Limit a view to ministry staff holding one of `roles` (any staff role when none given)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not is_staff(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def ensure(allowed: bool) -> None:
    """Answer 404 when a rule says no: an object the user may not reach does not exist for them."""
    if not allowed:
        abort(404)


# -- the rules ------------------------------------------------------------------------------------
def is_staff(user: Principal, *roles: StaffRole) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    held = user.staff_roles()
    if StaffRole.SYSTEM_ADMIN in held:
        return True
    return bool(held & set(roles)) if roles else bool(held)


def is_admin(user: Principal) -> bool:
    return getattr(user, "is_authenticated", False) and StaffRole.SYSTEM_ADMIN in user.staff_roles()


def can_read_organization(user: Principal, organization_id: int) -> bool:
    """Staff read every organization; a member only their own."""
    return is_staff(user) or user.member_role(organization_id) is not None


def can_edit_organization(user: Principal, organization_id: int) -> bool:
    return is_admin(user) or user.member_role(organization_id) is MemberRole.ACCOUNT_ADMIN


def can_manage_members(user: Principal, organization_id: int) -> bool:
    return can_edit_organization(user, organization_id)


def can_contribute(user: Principal, organization_id: int) -> bool:
    """Draft and submit the organization's requests and reports."""
    return user.member_role(organization_id) in {MemberRole.ACCOUNT_ADMIN, MemberRole.CONTRIBUTOR}


def can_manage_program(user: Principal, program_id: int) -> bool:
    """Officers act only on the programs they are assigned to."""
    return is_admin(user) or (
        StaffRole.PROGRAM_OFFICER in user.staff_roles() and program_id in user.officer_program_ids()
    )


def can_supervise_funding(user: Principal) -> bool:
    """The coordination cell's cross-ministry view (plan measure 13)."""
    return is_staff(user, StaffRole.COORDINATION_CELL)


def can_authorize_for_program(user: Principal, program_id: int) -> bool:
    """Delegated budget authority: override an envelope, approve an indexation run."""
    return is_admin(user) or (
        can_manage_program(user, program_id) and program_id in user.authorized_program_ids()
    )


# -- funding files (requests, agreements, installments) ------------------------------------------
def can_read_funding_file(user: Principal, organization_id: int, program_id: int) -> bool:
    """A request, its attachments, its agreement and its payments: the organization's members,
    the program's officers, and the coordination cell (read-only, across programs)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.member_role(organization_id) is not None
        or can_manage_program(user, program_id)
        or can_supervise_funding(user)
    )


def can_edit_request(user: Principal, organization_id: int) -> bool:
    """Draft, complete, submit and answer for the organization (not read-only members)."""
    return can_contribute(user, organization_id)


def can_review_request(user: Principal, program_id: int) -> bool:
    """Analyse, ask for information, recommend and decide: the program's officers."""
    return can_manage_program(user, program_id)


def can_sign_for_organization(user: Principal, organization_id: int) -> bool:
    """Accept an agreement on the organization's behalf: its account administrators."""
    return user.member_role(organization_id) is MemberRole.ACCOUNT_ADMIN


# -- accountability reports (a report: its `organization_id` and `program_id`) ---------------------
def can_read_report(user: Principal, report: Any) -> bool:
    """The organization's members, the program's officers, and the coordination cell (read-only)."""
    return can_read_funding_file(user, report.organization_id, report.program_id)


def can_edit_report(user: Principal, report: Any) -> bool:
    """Fill the report's sections: the organization's contributors (not read-only members)."""
    return getattr(user, "is_authenticated", False) and can_contribute(user, report.organization_id)


def can_submit_report(user: Principal, report: Any) -> bool:
    return can_edit_report(user, report)


def can_review_report(user: Principal, report: Any) -> bool:
    """Accept, request changes, extend the due date: the program's officers."""
    return getattr(user, "is_authenticated", False) and can_manage_program(user, report.program_id)


def can_configure_reports(user: Principal, program_id: int) -> bool:
    """Edit a program's indicators, targets and accountability settings: its officers."""
    return getattr(user, "is_authenticated", False) and can_manage_program(user, program_id)
