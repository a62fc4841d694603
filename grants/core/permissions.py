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
from sqlalchemy import ColumnElement, and_, false, or_, true

from grants.core.audit import AuditEntry
from grants.core.roles import CONTRIBUTOR_ROLES, MemberRole, StaffRole
from grants.core.security import safe_next

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
        # Come back here after signing in, when "here" is a page (a POST-only address is not).
        target = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=target))
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


def require(rule: Callable[[Any], bool]) -> Callable[[F], F]:
    """Limit a view to the users a rule of this module lets in (403 for the others)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not rule(current_user):
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


def can_manage_accounts(user: Principal) -> bool:
    """The account pages (roles, programs, budget authority, deactivation): administrators only."""
    return is_admin(user)


def can_read_organization(user: Principal, organization_id: int) -> bool:
    """Staff read every organization; a member only their own."""
    return is_staff(user) or user.member_role(organization_id) is not None


def can_edit_organization(user: Principal, organization_id: int) -> bool:
    return is_admin(user) or user.member_role(organization_id) is MemberRole.ACCOUNT_ADMIN


def can_manage_members(user: Principal, organization_id: int) -> bool:
    return can_edit_organization(user, organization_id)


def can_contribute(user: Principal, organization_id: int) -> bool:
    """Draft and submit the organization's requests and reports."""
    return user.member_role(organization_id) in CONTRIBUTOR_ROLES


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


# -- indexation (a program's rule, fixed rates and runs) ---------------------------------------------
def can_open_indexation(user: Principal) -> bool:
    """The indexation pages (and their menu entry): program officers and administrators, who
    manage programs. The coordination cell manages none: its menu has no entry leading to an empty
    page (issue 13, item 15); it reads each grant's indexation on its agreement."""
    return is_staff(user, StaffRole.PROGRAM_OFFICER)


def can_manage_indexation(user: Principal, program: Any) -> bool:
    """See a program's indexation, preview it, prepare a run, apply or set aside an approved one:
    the program's officers."""
    return can_manage_program(user, program.id)


def can_edit_indexation_rule(user: Principal, program: Any) -> bool:
    """Change a program's indexation rule and record the fixed rates: its authorized officers."""
    return can_authorize_for_program(user, program.id)


def can_approve_indexation(user: Principal, run: Any) -> bool:
    """Approve a run's frozen lines: an authorized officer of its program."""
    return can_authorize_for_program(user, run.program_id)


def can_reverse_indexation(user: Principal, run: Any) -> bool:
    """Put back the amounts an applied run changed: an authorized officer of its program."""
    return can_authorize_for_program(user, run.program_id)


def can_read_indexation_notice(user: Principal, line: Any) -> bool:
    """A grant's indexation notice: whoever reads the funding file (organization, officers, cell)."""
    return line.notice_file_id is not None and can_read_funding_file(
        user, line.organization_id, line.run.program_id
    )


# -- which programs a list shows ------------------------------------------------------------------
def visible_program_ids(user: Principal) -> frozenset[int] | None:
    """The programs whose funding files (requests, reviews, agreements, payments, indexation) a
    staff member sees in lists: `None` means every program — administrators, and the coordination
    cell, which reads across programs without acting; an officer sees the programs assigned to
    them; anyone else no program (organizations see their own files, filtered by organization)."""
    if is_admin(user) or can_supervise_funding(user):
        return None
    if is_staff(user, StaffRole.PROGRAM_OFFICER):
        return frozenset(user.officer_program_ids())
    return frozenset()


def program_filter(user: Principal, program_column: Any) -> ColumnElement[bool]:
    """`visible_program_ids` as a WHERE clause on a query's program column."""
    program_ids = visible_program_ids(user)
    if program_ids is None:
        return true()
    if not program_ids:
        return false()
    return program_column.in_(program_ids)


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


def can_sign_for_organization(user: Principal, organization_id: int) -> bool:
    """Accept an agreement on the organization's behalf: its account administrators."""
    return user.member_role(organization_id) is MemberRole.ACCOUNT_ADMIN


# -- the audit trail and the outbox ---------------------------------------------------------------
# What an organization reads of its own files' history: the steps of its requests, agreements and
# installments, its profile and its members. Not the ministry's internal work on a file.
ORGANIZATION_AUDIT_PREFIXES = (
    "request.",
    "agreement.",
    "installment.",
    "installments.",
    "organization.",
    "membership.",
)
# The coordination cell's own work (imports, matching decisions, flag reviews, the budget floor):
# recorded with no program, read by the cell (and the administrators).
COORDINATION_AUDIT_PREFIXES = ("coordination.", "funding_import.")
MINISTRY_INTERNAL_ACTIONS = frozenset(
    {
        "request.assigned",  # who analyses the file
        "request.scored",  # the assessment grid
        "request.recommend",  # the officer's recommendation, before the decision
        "request.reopen_review",
        "envelope.overridden",  # budget authority's reasons
    }
)


def can_read_audit_trail(user: Principal) -> bool:
    """The journal page: staff, and organization members (who see only their own files)."""
    return is_staff(user) or bool(getattr(user, "is_authenticated", False) and user.organization_ids())


def audit_entries_visible_to(user: Principal) -> ColumnElement[bool]:
    """The audit entries a user may read, as a WHERE clause on AuditEntry.

    - administrators: every entry;
    - program officers: the entries of their programs' files (requests, agreements, installments,
      calls, envelopes, indexation runs), whatever their state, as they read those files;
    - the coordination cell: the entries of every program's files, read-only, as it reads every
      funding file (plan measure 13), and its own work (COORDINATION_AUDIT_PREFIXES); not
      accounts, sign-ins or memberships;
    - organization members: their organization's entries, except the ministry's internal work
      (MINISTRY_INTERNAL_ACTIONS).
    Anything else (accounts, sign-ins, CPI imports) stays with the administrators.
    """
    if not getattr(user, "is_authenticated", False):
        return false()
    if is_admin(user):
        return true()
    allowed: list[ColumnElement[bool]] = []
    roles = user.staff_roles()
    if StaffRole.COORDINATION_CELL in roles:
        allowed.append(AuditEntry.program_id.is_not(None))
        allowed.extend(AuditEntry.action.startswith(prefix) for prefix in COORDINATION_AUDIT_PREFIXES)
    elif StaffRole.PROGRAM_OFFICER in roles and user.officer_program_ids():
        allowed.append(AuditEntry.program_id.in_(sorted(user.officer_program_ids())))
    organization_ids = user.organization_ids()
    if organization_ids:
        allowed.append(
            and_(
                AuditEntry.organization_id.in_(sorted(organization_ids)),
                or_(*(AuditEntry.action.startswith(prefix) for prefix in ORGANIZATION_AUDIT_PREFIXES)),
                AuditEntry.action.not_in(sorted(MINISTRY_INTERNAL_ACTIONS)),
            )
        )
    return or_(*allowed) if allowed else false()


def can_read_outbox(user: Principal) -> bool:
    """The sent emails (recipients, bodies of every program's messages): administrators only."""
    return is_admin(user)


# == agreements and payments ======================================================================
# Who may do what to an agreement or an installment. Objects are read duck-typed (an `Agreement`
# has `organization_id`, `program_id` and the workflow's predicates `awaiting_signature`,
# `awaiting_countersignature`; an `Installment` has `program_id`), so core imports no feature.
# A route checks the role and ownership (`can_sign_agreement`, `can_countersign`, ...; a refusal
# answers 404) and leaves the state to the workflow, whose refusal says why in words (a stale page,
# a double click); what a page offers (`can_sign_agreement_now`, ...) adds the state.
def can_read_agreement(user: Principal, agreement: Any) -> bool:
    """An agreement, its PDFs and its schedule: whoever may read its funding file."""
    return agreement is not None and can_read_funding_file(
        user, agreement.organization_id, agreement.program_id
    )


def can_sign_agreement(user: Principal, agreement: Any) -> bool:
    """Accept the agreement for the organization (in the app or by a signed PDF): its account
    administrators."""
    return can_sign_for_organization(user, agreement.organization_id)


def can_sign_agreement_now(user: Principal, agreement: Any) -> bool:
    """The page offers acceptance: a signatory, and the current version waits for one."""
    return can_sign_agreement(user, agreement) and agreement.awaiting_signature


def can_countersign(user: Principal, agreement: Any) -> bool:
    """Countersign for the ministry: the program's officers."""
    return can_manage_program(user, agreement.program_id)


def can_countersign_now(user: Principal, agreement: Any) -> bool:
    """The page offers countersignature: an officer, and the current version is accepted."""
    return can_countersign(user, agreement) and agreement.awaiting_countersignature


def can_amend_agreement(user: Principal, agreement: Any) -> bool:
    """Prepare an amendment (amounts, end date, conditions): the program's officers."""
    return can_manage_program(user, agreement.program_id)


def can_edit_schedule(user: Principal, agreement: Any) -> bool:
    """Change a fiscal year's installments: the program's officers."""
    return can_manage_program(user, agreement.program_id)


def can_pay(user: Principal, installment: Any) -> bool:
    """Authorize, pay, hold or release an installment: the program's officers (whether the move is
    allowed now is the installment workflow's answer)."""
    return installment is not None and can_manage_program(user, installment.program_id)


def can_see_program_payments(user: Principal, program: Any) -> bool:
    """A program's envelope, commitments and payments by year: its officers and the coordination cell."""
    return program is not None and (can_manage_program(user, program.id) or can_supervise_funding(user))


# == end of agreements and payments ===============================================================
# == requests, review and calls ====================================================================
# The object rules of grants/requests, grants/review and grants/calls. They read the request's
# state through its predicates (grants.requests.models: is_submitted, is_editable_by_organization…)
# so this module imports no feature.
T = TypeVar("T")


def found(obj: T | None) -> T:
    """`obj`, or 404 when there is none (a page anyone may read, of an object that may not exist)."""
    ensure(obj is not None)
    return obj  # type: ignore[return-value]


def permitted(obj: T | None, rule: Callable[[Any, T], bool]) -> T:
    """`obj` when `rule(current_user, obj)` allows it; 404 otherwise (a missing object too), so a
    view loads and checks an object in one line: `permitted(db.session.get(...), can_read_request)`."""
    ensure(obj is not None and rule(current_user, obj))
    return obj  # type: ignore[return-value]


def can_read_request(user: Principal, funding_request: Any) -> bool:
    """The request's page, attachments and acknowledgement (see can_read_funding_file); a draft is
    its organization's alone until it is submitted."""
    if not funding_request.is_submitted:
        return getattr(user, "is_authenticated", False) and (
            user.member_role(funding_request.organization_id) is not None
        )
    return can_read_funding_file(user, funding_request.organization_id, funding_request.program_id)


def can_edit_request(user: Principal, funding_request: Any) -> bool:
    """Change the request now: a contributor of its organization (can_contribute), while the
    request is open to the organization (a draft, or the sections an information request reopened)."""
    return (
        can_contribute(user, funding_request.organization_id) and funding_request.is_editable_by_organization
    )


def can_withdraw_request(user: Principal, funding_request: Any) -> bool:
    """Withdraw the request: a contributor of its organization, before the decision."""
    return can_contribute(user, funding_request.organization_id) and funding_request.is_withdrawable


def can_read_review(user: Principal, funding_request: Any) -> bool:
    """The analysis page of a submitted request: the program's officers, and the coordination
    cell, which reads every program's files without acting on them."""
    return funding_request.is_submitted and (
        can_manage_program(user, funding_request.program_id) or can_supervise_funding(user)
    )


def can_review(user: Principal, funding_request: Any) -> bool:
    """Act on a submitted request (assign, score, ask for information, recommend): the program's
    officers. What the request's state allows is the workflow's to say."""
    return funding_request.is_submitted and can_manage_program(user, funding_request.program_id)


def can_decide(user: Principal, funding_request: Any) -> bool:
    """Approve or refuse: the program's officers, once the request is recommended."""
    return can_review(user, funding_request) and funding_request.is_awaiting_decision


def can_apply_to_call(user: Principal, call: Any) -> bool:
    """Start a request for an open call: a contributor of some organization."""
    return call.is_open() and any(can_contribute(user, oid) for oid in user.organization_ids())


def can_open_call(user: Principal, program: Any) -> bool:
    """Open a call for a program: its officers."""
    return can_manage_program(user, program.id)


def can_edit_call(user: Principal, call: Any) -> bool:
    return can_manage_program(user, call.program_id)


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


def can_extend_report(user: Principal, report: Any) -> bool:
    """Move the due date: the program's officers, until the report is accepted or cancelled."""
    return can_review_report(user, report) and not (report.is_accepted or report.is_cancelled)


def can_follow_reports(user: Principal) -> bool:
    """The officers' queue of reports: ministry staff (each sees the programs `visible_program_ids`
    gives them)."""
    return is_staff(user)


def can_read_report_review(user: Principal, report: Any) -> bool:
    """A report's analysis page: staff who may read the report (the coordination cell reads it
    without acting)."""
    return is_staff(user) and can_read_report(user, report)


def can_set_targets(user: Principal, agreement: Any) -> bool:
    """An agreement's own indicator targets: the officers of its program."""
    return can_configure_reports(user, agreement.program_id)


def can_configure_reports(user: Principal, program_id: int) -> bool:
    """Edit a program's indicators, targets and accountability settings: its officers."""
    return getattr(user, "is_authenticated", False) and can_manage_program(user, program_id)


def can_read_job(user: Principal, job: Any) -> bool:
    """A background job and its result: the ministry user who asked for it, the officers of its
    program and the administrators; never an organization's user."""
    if not is_staff(user):
        return False
    if job.program_id is not None and can_manage_program(user, job.program_id):
        return True
    if job.kind in COORDINATION_JOB_KINDS and can_supervise_funding(user):
        return True  # the cell's work is shared: any of its members follows an import's progress
    return is_admin(user) or job.requested_by_id == getattr(user, "id", None)


# Background jobs of the coordination cell (grants.coordination): every member of the cell reads them.
COORDINATION_JOB_KINDS = frozenset({"funding_import", "matching", "budget_report"})
