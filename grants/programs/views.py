"""Program pages: list, detail with envelopes per fiscal year, envelope edit for its officers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.core import permissions
from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.fiscal import FiscalYear
from grants.programs.forms import EnvelopeForm
from grants.programs.models import Program
from grants.programs.operations import set_envelope
from grants.programs.queries import program_by_code

blueprint = Blueprint("programs", __name__, url_prefix="/programmes")


def _load(code: str) -> Program:
    return permissions.found(program_by_code(code))


@blueprint.get("/")
def index() -> Any:
    programs = db.session.scalars(db.select(Program).order_by(Program.code)).all()
    return render_template("programs/index.html", programs=programs)


@blueprint.get("/<code>")
def show(code: str) -> Any:
    program = _load(code)
    return render_template(
        "programs/show.html",
        program=program,
        can_manage=permissions.can_manage_program(current_user, program.id),
        current_year=current_fiscal_year(),
    )


@blueprint.route("/<code>/enveloppes", methods=["GET", "POST"])
def envelopes(code: str) -> Any:
    program = _load(code)
    permissions.ensure(permissions.can_manage_program(current_user, program.id))
    form = EnvelopeForm()
    if form.validate_on_submit():
        year = FiscalYear.parse(form.fiscal_year.data)
        set_envelope(program, year, Decimal(form.amount.data), actor=current_user)
        db.session.commit()
        flash(_("L'enveloppe %(year)s est enregistrée.", year=str(year)), "success")
        return redirect(url_for("programs.show", code=program.code))
    if not form.is_submitted():
        form.fiscal_year.data = str(current_fiscal_year())
    status = 422 if form.is_submitted() else 200
    return render_template("programs/envelopes.html", program=program, form=form), status
