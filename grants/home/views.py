"""One home page per role: organization member, program officer, coordination cell, administrator."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from grants.accountability import queries as report_queries
from grants.accounts.models import Membership, User
from grants.core.audit import AuditEntry
from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.core.permissions import program_filter, public
from grants.core.roles import StaffRole
from grants.notifications.models import EmailStatus, OutboundEmail
from grants.organizations.models import Organization
from grants.programs.models import Program
from grants.reference.models import ActionPlan, Measure, PlanAxis
from grants.reference.queries import current_plan
from grants.requests import queries as request_queries

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
@public
def index() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    roles = current_user.staff_roles()
    if StaffRole.SYSTEM_ADMIN in roles:
        return _admin_home()
    if StaffRole.COORDINATION_CELL in roles:
        return _cell_home()
    if StaffRole.PROGRAM_OFFICER in roles:
        return _officer_home()
    return _organization_home()


def _organization_home() -> Any:
    memberships = db.session.scalars(
        db.select(Membership)
        .filter_by(user_id=current_user.id)
        .options(selectinload(Membership.organization))
    ).all()
    programs = db.session.scalars(db.select(Program).filter_by(active=True).order_by(Program.code)).all()
    own = {membership.organization_id for membership in memberships}
    return render_template(
        "home/organization.html",
        memberships=memberships,
        programs=programs,
        reports=report_queries.reports_to_do(own),
        drafts=request_queries.drafts_of_organizations(own),
    )


def _officer_home() -> Any:
    programs = db.session.scalars(
        db.select(Program)
        .where(program_filter(current_user, Program.id))
        .options(selectinload(Program.envelopes))
        .order_by(Program.code)
    ).all()
    return render_template("home/officer.html", programs=programs, current_year=current_fiscal_year())


def _cell_home() -> Any:
    plan = current_plan()
    axis_rows = []
    if plan is not None:
        counts = dict(
            db.session.execute(
                db.select(Measure.axis_id, func.count(Measure.id))
                .where(Measure.plan_id == plan.id)
                .group_by(Measure.axis_id)
            ).all()
        )
        axes = db.session.scalars(
            db.select(PlanAxis).filter_by(plan_id=plan.id).order_by(PlanAxis.sort_order)
        ).all()
        axis_rows = [(axis, counts.get(axis.id, 0)) for axis in axes]
    programs = db.session.scalars(
        db.select(Program).options(selectinload(Program.envelopes)).order_by(Program.code)
    ).all()
    previous_plans = db.session.scalars(
        db.select(ActionPlan).options(selectinload(ActionPlan.axes)).order_by(ActionPlan.start_year)
    ).all()
    return render_template(
        "home/cell.html",
        plan=plan,
        axis_rows=axis_rows,
        programs=programs,
        plans=previous_plans,
        current_year=current_fiscal_year(),
    )


def _admin_home() -> Any:
    stats = {
        "users": db.session.scalar(db.select(func.count(User.id))),
        "organizations": db.session.scalar(db.select(func.count(Organization.id))),
        "programs": db.session.scalar(db.select(func.count(Program.id))),
        "emails_waiting": db.session.scalar(
            db.select(func.count(OutboundEmail.id)).where(OutboundEmail.status != EmailStatus.SENT)
        ),
    }
    recent = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template("home/admin.html", stats=stats, recent=recent)
