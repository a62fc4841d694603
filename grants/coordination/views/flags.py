"""The flags the matching run raised, and the cell's review of each.

`/cellule/signalements/`: filters (kind, decision, fiscal year, still found), sorted by score,
paged, in CSV with each explanation in the reader's language. `/cellule/signalements/<id>`: the
two funding lines side by side, the explanation in words, the review form (confirmed duplicate,
complementary funding, false alarm, with a comment; a review made meanwhile by a colleague is
refused and the page shows it) and the history of reviews."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from grants.accounts.models import User
from grants.coordination import explain
from grants.coordination.decision_forms import FlagReviewForm
from grants.coordination.decisions import review_flag
from grants.coordination.models import EntityMember, ExternalFunding, FlagDecision, FlagKind, FundingFlag
from grants.coordination.views import blueprint
from grants.core.concurrency import ConcurrentChange
from grants.core.db import db
from grants.core.fields import input_errors
from grants.core.listing import QueryFilters, SortSpec, csv_response, paginate_rows
from grants.core.permissions import found
from grants.core.templating import label_filters
from grants.fiscal import FiscalYear
from grants.requests.models import FundingRequest

label_filters(blueprint, flag_kind_label=FlagKind, flag_decision_label=FlagDecision)
blueprint.add_app_template_filter(explain.score_text, "cell_score")

SORT = SortSpec(
    columns={
        "score": FundingFlag.score,
        "kind": FundingFlag.kind,
        "organization": func.lower(FundingFlag.entity_label),
        "fiscal_year": FundingFlag.fiscal_year,
        "decision": FundingFlag.decision,
        "seen": FundingFlag.first_seen_at,
    },
    default="-score",
)

CSV_HEADER = (
    _l("Numéro"),
    _l("Type"),
    _l("Organisme"),
    _l("Ligne A"),
    _l("Ligne B"),
    _l("Exercice financier"),
    _l("Score"),
    _l("Montant"),
    _l("Décision"),
    _l("Toujours trouvé"),
    _l("Explication"),
    _l("Signalé le"),
)


@dataclass
class FlagFilters(QueryFilters):
    kind: str = ""
    decision: str = ""
    fiscal_year: str = ""
    still: str = ""  # "" = still found; "all"; "gone"


def _statement(filters: FlagFilters) -> Any:
    statement = select(FundingFlag)
    if filters.kind in {k.value for k in FlagKind}:
        statement = statement.where(FundingFlag.kind == filters.kind)
    if filters.decision in {d.value for d in FlagDecision}:
        statement = statement.where(FundingFlag.decision == filters.decision)
    if filters.fiscal_year:
        with contextlib.suppress(ValueError):
            statement = statement.where(FundingFlag.fiscal_year == FiscalYear.parse(filters.fiscal_year))
    if filters.still == "gone":
        statement = statement.where(FundingFlag.still_found.is_(False))
    elif filters.still != "all":
        statement = statement.where(FundingFlag.still_found.is_(True))
    return SORT.apply(statement).order_by(FundingFlag.id)


@blueprint.get("/signalements/")
def flags() -> Any:
    filters = FlagFilters.from_args(request.args)
    statement = _statement(filters)
    if request.args.get("format") == "csv":
        return csv_response(
            "signalements.csv",
            [str(title) for title in CSV_HEADER],
            # explained here, in the request's language, before the response streams
            [_csv_row(f) for f in db.session.scalars(statement)],
            lambda row: row,
        )
    return _flag_list(filters, statement)


def _csv_row(f: FundingFlag) -> list[Any]:
    return [
        f.id,
        FlagKind(f.kind).label,
        f.entity_label,
        f.key_a,
        f.key_b,
        f.fiscal_year,
        f.score,
        f.amount,
        FlagDecision(f.decision).label,
        _("oui") if f.still_found else _("non"),
        explain.explanation(f),
        f.first_seen_at,
    ]


def _flag_list(filters: FlagFilters, statement: Any) -> Any:
    years = db.session.scalars(
        select(FundingFlag.fiscal_year).where(FundingFlag.fiscal_year.is_not(None)).distinct()
    ).all()
    page = paginate_rows(statement)
    return render_template(
        "coordination/flags.html",
        page=page,
        flags=[row[0] for row in page.items],
        filters=filters,
        sort=SORT.current(),
        kinds=list(FlagKind),
        decisions=list(FlagDecision),
        years=sorted(set(years), reverse=True),
        explanation=explain.explanation,
    )


@dataclass
class FundingLine:
    """One side of a flag, as the page shows it."""

    key: str
    funder: str
    program: str
    recipient: str
    neq: str | None
    city: str
    title: str
    description: str
    amount: Decimal | None
    start: date | None
    end: date | None
    fiscal_year: FiscalYear | None
    request_id: int | None = None
    reference: str | None = None
    record_id: str | None = None  # another ministry's own id of its line


def funding_line(key: str) -> FundingLine | None:
    """The funding line a flag names (`ext:…` or `req:<id>`), as it is now; None if it is gone."""
    if key.startswith("req:"):
        number = key[4:]
        funding_request = db.session.get(FundingRequest, int(number)) if number.isdigit() else None
        if funding_request is None:
            return None
        organization = funding_request.organization
        program = funding_request.program
        return FundingLine(
            key=key,
            funder=program.ministry.name if program.ministry else program.ministry_code,
            program=f"{program.code} — {program.name}",
            recipient=organization.legal_name,
            neq=organization.neq,
            city=organization.city,
            title=funding_request.title,
            description=funding_request.summary,
            amount=funding_request.total_approved or funding_request.total_requested,
            start=funding_request.start_date,
            end=funding_request.end_date,
            fiscal_year=funding_request.first_fiscal_year,
            request_id=funding_request.id,
            reference=funding_request.reference,
        )
    if key.startswith("ext:"):
        rest = key[4:]
        # `ext:<ministry>:<record id>`, either of which may hold a colon: every split, on the index
        candidates = [
            and_(ExternalFunding.source_ministry == rest[:i], ExternalFunding.record_id == rest[i + 1 :])
            for i, char in enumerate(rest)
            if char == ":"
        ]
        row = (
            db.session.scalars(select(ExternalFunding).where(or_(*candidates))).first()
            if candidates
            else None
        )
        if row is None:
            return None
        return FundingLine(
            key=key,
            funder=row.source_ministry,
            program=row.program,
            recipient=row.recipient_name,
            neq=row.recipient_neq,
            city=row.recipient_city,
            title=row.project_title,
            description=row.description,
            amount=row.amount,
            start=row.start_date,
            end=row.end_date,
            fiscal_year=row.fiscal_year,
            record_id=row.record_id,
        )
    return None


def _render(flag: FundingFlag, form: FlagReviewForm | None = None, *, status: int = 200) -> Any:
    if form is None:
        form = FlagReviewForm(formdata=None)
        form.version.data = flag.version
        if flag.decision != FlagDecision.OPEN:
            form.decision.data = str(flag.decision)
    reviewers = {
        user.id: user.display_name
        for user in db.session.scalars(
            select(User).where(User.id.in_({r.reviewed_by_id for r in flag.reviews if r.reviewed_by_id}))
        )
    }
    # the group the flagged records are in now (a run may have moved them since the flag was found)
    entity_id = db.session.scalar(select(EntityMember.entity_id).where(EntityMember.party_key == flag.key_a))
    return render_template(
        "coordination/flag.html",
        flag=flag,
        entity_id=entity_id,
        kind=FlagKind(flag.kind),
        decision=FlagDecision(flag.decision),
        lines=[funding_line(flag.key_a)] + ([funding_line(flag.key_b)] if flag.key_b else []),
        keys=[flag.key_a] + ([flag.key_b] if flag.key_b else []),
        explanation=explain.explanation(flag),
        form=form,
        errors=input_errors(form),
        reviews=list(reversed(flag.reviews)),
        reviewers=reviewers,
        FlagDecision=FlagDecision,
    ), status


@blueprint.route("/signalements/<int:flag_id>", methods=["GET", "POST"])
def flag(flag_id: int) -> Any:
    flag = found(db.session.get(FundingFlag, flag_id))
    if request.method == "GET":
        return _render(flag)
    form = FlagReviewForm()
    if not form.validate():
        return _render(flag, form, status=422)
    try:
        review_flag(
            flag,
            FlagDecision(form.decision.data),
            form.comment.data or "",
            actor=current_user,
            expected_version=form.version.data,
        )
        db.session.commit()
    except ConcurrentChange as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _render(found(db.session.get(FundingFlag, flag_id)), status=409)
    flash(_("Décision enregistrée."), "success")
    return redirect(url_for("coordination.flag", flag_id=flag_id), 303)
