"""The queue of submitted requests: filters, column sorts, pagination and the CSV of the same rows.

Which programs it lists is `grants.core.permissions.program_filter`'s rule: an officer's programs;
every program for administrators and the coordination cell (which reads without acting)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from grants.accounts.queries import officers_of_program
from grants.core import permissions
from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.core.listing import csv_response, paginate_rows
from grants.programs.models import Program
from grants.reference.models import Nation, Region
from grants.requests.models import FundingRequest
from grants.requests.workflow import SUBMITTED_ONCE, RequestStatus
from grants.review.queries import QUEUE_SORT, QueueFilters, queue_statement
from grants.review.views import blueprint

CSV_HEADER = (
    _l("Numéro"),
    _l("Titre"),
    _l("Organisme"),
    _l("Programme"),
    _l("État"),
    _l("Déposée le"),
    _l("Premier exercice"),
    _l("Agent·e"),
    _l("Montant demandé"),
)


@blueprint.get("/")
@permissions.require_staff()
def queue() -> Any:
    filters = QueueFilters.from_args(request.args)
    statement = QUEUE_SORT.apply(
        queue_statement(
            permissions.program_filter(current_user, FundingRequest.program_id),
            filters,
            me_id=current_user.id,
        )
    )
    if request.args.get("format") == "csv":
        return csv_response(
            "demandes.csv",
            [str(title) for title in CSV_HEADER],
            db.session.execute(statement).yield_per(1000),
            lambda r: [
                r.reference,
                r.title,
                r.organization,
                r.program,
                RequestStatus(r.status).label,
                r.submitted_at,
                r.first_fiscal_year,
                r.assignee,
                r.total_asked,
            ],
        )
    programs = db.session.scalars(
        db.select(Program).where(permissions.program_filter(current_user, Program.id)).order_by(Program.code)
    ).all()
    return render_template(
        "review/queue.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=QUEUE_SORT.current(),
        programs=programs,
        statuses=sorted(SUBMITTED_ONCE, key=list(RequestStatus).index),
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        nations=db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all(),
        officers=_officers(programs),
        years=[current_fiscal_year() + offset for offset in range(-3, 5)],
    )


def _officers(programs: list[Program]) -> list[Any]:
    seen: dict[int, Any] = {}
    for program in programs:
        for user in officers_of_program(program.id):
            seen.setdefault(user.id, user)
    return sorted(seen.values(), key=lambda u: u.display_name.lower())
