"""Call pages: open calls for organizations, call management for program officers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.calls.forms import CallForm
from grants.calls.models import Call
from grants.calls.operations import create_call, open_calls, update_call
from grants.core import permissions
from grants.core.db import db
from grants.programs.models import Program
from grants.programs.queries import program_by_code
from grants.reference.models import Nation, Region

blueprint = Blueprint("calls", __name__, url_prefix="/appels")


@blueprint.app_template_filter("org_kind_label")
def _org_kind_label(kind: str) -> str:
    from grants.organizations.models import OrganizationKind

    return OrganizationKind(kind).label


def _load(call_id: int) -> Call:
    return permissions.found(db.session.get(Call, call_id))


@blueprint.get("/")
def index() -> Any:
    """The open calls for everyone; below, the calls of the programs the user follows
    (grants.core.permissions.visible_program_ids), with a button for each program they may open a
    call in (read-only for the coordination cell)."""
    managed: list[Call] = []
    programs: list[Program] = []
    if permissions.is_staff(current_user):
        managed = list(
            db.session.scalars(
                db.select(Call)
                .where(permissions.program_filter(current_user, Call.program_id))
                .order_by(Call.opens_at.desc())
            )
        )
        programs = [
            program
            for program in db.session.scalars(db.select(Program).order_by(Program.code))
            if permissions.can_open_call(current_user, program)
        ]
    return render_template("calls/index.html", calls=open_calls(), managed=managed, programs=programs)


@blueprint.get("/<int:call_id>")
def show(call_id: int) -> Any:
    call = _load(call_id)
    return render_template(
        "calls/show.html",
        call=call,
        can_apply=permissions.can_apply_to_call(current_user, call),
        can_manage=permissions.can_edit_call(current_user, call),
    )


@blueprint.route("/programmes/<code>/nouveau", methods=["GET", "POST"])
def new(code: str) -> Any:
    program = permissions.permitted(program_by_code(code), permissions.can_open_call)
    return _call_form(program, None)


@blueprint.route("/<int:call_id>/modifier", methods=["GET", "POST"])
def edit(call_id: int) -> Any:
    call = _load(call_id)
    permissions.ensure(permissions.can_edit_call(current_user, call))
    return _call_form(call.program, call)


def _call_form(program: Program, call: Call | None) -> Any:
    """The call form: a new call of `program`, or `call` as saved; saved when valid."""
    form = CallForm(
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        nations=db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all(),
    )
    if not form.is_submitted():
        if call is not None:
            form.fill_from(call)
        else:
            form.years_max.data, form.annual_max.data = program.years_max, program.annual_max
        return render_template("calls/form.html", form=form, program=program, call=call)
    if not form.validate():
        return render_template("calls/form.html", form=form, program=program, call=call), 422
    if call is None:
        call = create_call(program, form.call_data(), actor=current_user)
        message = _("L'appel « %(title)s » est enregistré.", title=call.title_fr)
    else:
        update_call(call, form.call_data(), actor=current_user)
        message = _("L'appel est mis à jour.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("calls.show", call_id=call.id))
