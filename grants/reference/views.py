"""Browse the action plans, their measures and the CSESM recommendations, linked both ways."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import selectinload

from grants.core import permissions
from grants.core.db import db
from grants.reference.models import ActionPlan, Measure, Nation, PlanAxis, Recommendation, Region

blueprint = Blueprint("reference", __name__, url_prefix="/reference")


def _plan(code: str) -> ActionPlan:
    plan = db.session.execute(db.select(ActionPlan).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(plan is not None)
    return plan  # type: ignore[return-value]


@blueprint.get("/plans")
def plans() -> Any:
    all_plans = db.session.scalars(
        db.select(ActionPlan).options(selectinload(ActionPlan.axes)).order_by(ActionPlan.start_year.desc())
    ).all()
    return render_template("reference/plans.html", plans=all_plans)


@blueprint.get("/plans/<code>")
def plan(code: str) -> Any:
    found = _plan(code)
    axis_code = request.args.get("axe") or ""
    statement = (
        db.select(Measure)
        .where(Measure.plan_id == found.id)
        .options(selectinload(Measure.recommendations), selectinload(Measure.axis))
        .order_by(Measure.sort_order)
    )
    if axis_code:
        statement = statement.join(PlanAxis).where(PlanAxis.code == axis_code)
    measures = db.session.scalars(statement).all()
    return render_template("reference/plan.html", plan=found, measures=measures, axis_code=axis_code)


@blueprint.get("/plans/<code>/mesures/<number>")
def measure(code: str, number: str) -> Any:
    found = _plan(code)
    item = db.session.execute(
        db.select(Measure).filter_by(plan_id=found.id, number=number.upper())
    ).scalar_one_or_none()
    permissions.ensure(item is not None)
    return render_template("reference/measure.html", plan=found, measure=item, programs=item.programs)


@blueprint.get("/recommandations")
def recommendations() -> Any:
    items = db.session.scalars(
        db.select(Recommendation)
        .options(selectinload(Recommendation.measures).selectinload(Measure.plan))
        .order_by(Recommendation.number)
    ).all()
    return render_template("reference/recommendations.html", recommendations=items)


@blueprint.get("/recommandations/<int:number>")
def recommendation(number: int) -> Any:
    item = db.session.get(Recommendation, number)
    permissions.ensure(item is not None)
    return render_template("reference/recommendation.html", recommendation=item)


@blueprint.get("/territoire")
def territory() -> Any:
    regions = db.session.scalars(db.select(Region).order_by(Region.code)).all()
    nations = db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all()
    return render_template("reference/territory.html", regions=regions, nations=nations)
