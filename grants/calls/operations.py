"""Opening and changing calls, audited. Moments are typed in Quebec time and stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from grants.calls.models import Call
from grants.core.audit import diff, record, record_created
from grants.core.clock import TIME_ZONE, now
from grants.core.db import db
from grants.programs.models import Program
from grants.reference.models import Nation, Region


def quebec_moment(day: date, at: time) -> datetime:
    """A date and time on a Quebec clock (EST/EDT) as a UTC timestamp."""
    return datetime.combine(day, at, tzinfo=TIME_ZONE).astimezone(UTC)


def _apply(call: Call, data: dict[str, Any]) -> None:
    for name in (
        "title_fr",
        "title_en",
        "description_fr",
        "description_en",
        "continuous",
        "opens_at",
        "closes_at",
        "annual_max",
        "years_max",
        "eligible_kinds",
    ):
        if name in data:
            setattr(call, name, data[name])
    if call.continuous:
        call.closes_at = None
    if "eligible_regions" in data:
        call.eligible_regions = list(
            db.session.scalars(db.select(Region).where(Region.code.in_(data["eligible_regions"])))
        )
    if "eligible_nations" in data:
        call.eligible_nations = list(
            db.session.scalars(db.select(Nation).where(Nation.code.in_(data["eligible_nations"])))
        )


def create_call(program: Program, data: dict[str, Any], *, actor: Any) -> Call:
    call = Call(program_id=program.id, program=program, created_by_id=getattr(actor, "id", None))
    _apply(call, data)
    record_created("call.created", call, actor=actor, changes={"program": program.code, **call.snapshot()})
    return call


def update_call(call: Call, data: dict[str, Any], *, actor: Any) -> dict[str, Any]:
    before = call.snapshot()
    _apply(call, data)
    changes = diff(before, call.snapshot())
    if changes:
        db.session.flush()
        record("call.updated", call, actor=actor, changes=changes)
    return changes


def open_calls(moment: datetime | None = None) -> list[Call]:
    """Calls open now, continuous intakes included, by program."""
    moment = moment or now()
    calls = db.session.scalars(
        db.select(Call).where(Call.opens_at <= moment).join(Program).order_by(Program.code, Call.opens_at)
    ).all()
    return [call for call in calls if call.is_open(moment)]
