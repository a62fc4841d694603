"""Call pages: open calls for organizations, call management for program officers."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.calls.forms import CallForm
from grants.calls.models import Call
from grants.calls.operations import create_call, open_calls, quebec_moment, update_call
from grants.core import permissions
from grants.core.db import db
from grants.core.formatting import to_local
from grants.programs.models import Program
from grants.reference.models import Nation, Region

blueprint = Blueprint("calls", __name__, url_prefix="/appels")


@blueprint.app_template_filter("org_kind_label")
def _org_kind_label(kind: str) -> str:
    from grants.organizations.models import OrganizationKind

    return OrganizationKind(kind).label


def _load(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    permissions.ensure(call is not None)
    return call  # type: ignore[return-value]


@blueprint.get("/")
def index() -> Any:
    managed = []
    program_ids = current_user.officer_program_ids() if permissions.is_staff(current_user) else set()
    if permissions.is_admin(current_user):
        program_ids = set(db.session.scalars(db.select(Program.id)))
    if program_ids:
        managed = db.session.scalars(
            db.select(Call).where(Call.program_id.in_(program_ids)).order_by(Call.opens_at.desc())
        ).all()
    programs = db.session.scalars(
        db.select(Program).where(Program.id.in_(program_ids)).order_by(Program.code)
    ).all()
    return render_template("calls/index.html", calls=open_calls(), managed=managed, programs=programs)


@blueprint.get("/<int:call_id>")
def show(call_id: int) -> Any:
    call = _load(call_id)
    can_apply = bool(current_user.organization_ids()) and any(
        permissions.can_contribute(current_user, oid) for oid in current_user.organization_ids()
    )
    return render_template(
        "calls/show.html",
        call=call,
        can_apply=can_apply and call.is_open(),
        can_manage=permissions.can_manage_program(current_user, call.program_id),
    )


def _form(formdata: Any = None, **kwargs: Any) -> CallForm:
    return CallForm(
        formdata=formdata,
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        nations=db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all(),
        **kwargs,
    )


def _data(form: CallForm) -> dict[str, Any]:
    return {
        "title_fr": form.title_fr.data.strip(),
        "title_en": (form.title_en.data or "").strip(),
        "description_fr": form.description_fr.data or "",
        "description_en": form.description_en.data or "",
        "continuous": bool(form.continuous.data),
        "opens_at": quebec_moment(form.opens_on.data, form.opens_time.data or time(0, 0)),
        "closes_at": None
        if form.continuous.data
        else quebec_moment(form.closes_on.data, form.closes_time.data or time(23, 59)),
        "annual_max": form.annual_max.data,
        "years_max": form.years_max.data,
        "eligible_kinds": list(form.eligible_kinds.data or []),
        "eligible_regions": list(form.eligible_regions.data or []),
        "eligible_nations": list(form.eligible_nations.data or []),
    }


@blueprint.route("/programmes/<code>/nouveau", methods=["GET", "POST"])
def new(code: str) -> Any:
    program = db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
    permissions.ensure(program is not None and permissions.can_manage_program(current_user, program.id))
    form = _form(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.years_max.data = program.years_max
        form.annual_max.data = program.annual_max
    if request.method == "POST" and form.validate():
        call = create_call(program, _data(form), actor=current_user)
        db.session.commit()
        flash(_("L'appel « %(title)s » est enregistré.", title=call.title_fr), "success")
        return redirect(url_for("calls.show", call_id=call.id))
    return render_template(
        "calls/form.html", form=form, program=program, call=None
    ), 422 if request.method == "POST" else 200


@blueprint.route("/<int:call_id>/modifier", methods=["GET", "POST"])
def edit(call_id: int) -> Any:
    call = _load(call_id)
    permissions.ensure(permissions.can_manage_program(current_user, call.program_id))
    form = _form(request.form if request.method == "POST" else None)
    if request.method == "GET":
        opens, closes = to_local(call.opens_at), to_local(call.closes_at) if call.closes_at else None
        snapshot = call.snapshot()
        for name in (
            "title_fr",
            "continuous",
            "annual_max",
            "years_max",
            "eligible_kinds",
            "eligible_regions",
            "eligible_nations",
        ):
            form[name].data = snapshot[name]
        form.title_en.data, form.description_fr.data, form.description_en.data = (
            call.title_en,
            call.description_fr,
            call.description_en,
        )
        form.opens_on.data, form.opens_time.data = opens.date(), opens.time().replace(second=0, microsecond=0)
        if closes:
            form.closes_on.data, form.closes_time.data = (
                closes.date(),
                closes.time().replace(second=0, microsecond=0),
            )
    if request.method == "POST" and form.validate():
        update_call(call, _data(form), actor=current_user)
        db.session.commit()
        flash(_("L'appel est mis à jour."), "success")
        return redirect(url_for("calls.show", call_id=call.id))
    return render_template(
        "calls/form.html", form=form, program=call.program, call=call
    ), 422 if request.method == "POST" else 200
