"""The officer's side: queue (filters, sorting, pagination, CSV), the request's analysis page,
and one POST per action (assignment, grid, information request, recommendation, decision)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from grants.core import permissions
from grants.core.audit import AuditEntry
from grants.core.clock import current_fiscal_year
from grants.core.db import db
from grants.core.fields import read_amount
from grants.core.inputs import whole_number
from grants.core.listing import csv_response, paginate_rows
from grants.notifications.operations import officers_of_program
from grants.payments.envelopes import EnvelopeExceeded, positions
from grants.programs.models import Program
from grants.reference.models import Nation, Region
from grants.requests.models import FundingRequest, Recommendation, RequestSection
from grants.requests.workflow import RequestEvent, RequestStatus, TransitionRefused, allowed_events
from grants.review import operations
from grants.review.forms import AssignForm, DecisionForm, InfoRequestForm, RecommendForm
from grants.review.queries import QUEUE_SORT, QueueFilters, queue_statement

blueprint = Blueprint("review", __name__, url_prefix="/analyse")
SECTION_NAMES = frozenset(s.value for s in RequestSection)  # an unknown one is left out, not a 500


@blueprint.app_template_filter("recommendation_label")
def _recommendation_label(value: str | None) -> str:
    return Recommendation(value).label if value else _("aucune")


@blueprint.app_template_filter("request_status_label")
def _status_label(status: str) -> str:
    return RequestStatus(status).label


def _program_ids() -> set[int]:
    if permissions.is_admin(current_user):
        return set(db.session.scalars(db.select(Program.id)))
    return current_user.officer_program_ids()


def _load(request_id: int) -> FundingRequest:
    """The one place a request is loaded for review: 404 unless it is in the officer's programs."""
    funding_request = db.session.get(FundingRequest, request_id)
    permissions.ensure(
        funding_request is not None
        and funding_request.status != RequestStatus.DRAFT
        and permissions.can_review_request(current_user, funding_request.program_id)
    )
    return funding_request  # type: ignore[return-value]


@blueprint.get("/")
@permissions.require_staff()
def queue() -> Any:
    program_ids = _program_ids()
    filters = QueueFilters.from_args(request.args)
    statement = QUEUE_SORT.apply(queue_statement(program_ids, filters, me_id=current_user.id))
    if request.args.get("format") == "csv":
        header = [
            _("Numéro"),
            _("Titre"),
            _("Organisme"),
            _("Programme"),
            _("État"),
            _("Déposée le"),
            _("Premier exercice"),
            _("Agent·e"),
            _("Montant demandé"),
        ]
        rows = db.session.execute(statement).yield_per(1000)
        return csv_response(
            "demandes.csv",
            header,
            rows,
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
    page = paginate_rows(statement)
    programs = db.session.scalars(
        db.select(Program).where(Program.id.in_(program_ids)).order_by(Program.code)
    ).all()
    return render_template(
        "review/queue.html",
        page=page,
        filters=filters,
        sort=QUEUE_SORT.current(),
        programs=programs,
        statuses=[s for s in RequestStatus if s is not RequestStatus.DRAFT],
        regions=db.session.scalars(db.select(Region).order_by(Region.code)).all(),
        nations=db.session.scalars(db.select(Nation).order_by(Nation.name_fr)).all(),
        officers=_officers(program_ids),
        years=[current_fiscal_year() + offset for offset in range(-3, 5)],
    )


def _officers(program_ids: set[int]) -> list[Any]:
    seen: dict[int, Any] = {}
    for program_id in program_ids:
        for user in officers_of_program(program_id):
            seen.setdefault(user.id, user)
    return sorted(seen.values(), key=lambda u: u.display_name.lower())


def _forms(funding_request: FundingRequest) -> dict[str, Any]:
    version = str(funding_request.version)
    assign = AssignForm(prefix="assign")
    assign.assignee_id.choices = [
        (u.id, u.display_name) for u in officers_of_program(funding_request.program_id)
    ]
    if not assign.is_submitted():
        assign.assignee_id.data = funding_request.assignee_id or current_user.id
    forms = {
        "assign": assign,
        "info": InfoRequestForm(prefix="info"),
        "recommend": RecommendForm(prefix="recommend"),
        "decision": DecisionForm(prefix="decision"),
    }
    for form in forms.values():
        if not form.is_submitted():
            form.version.data = version
    return forms


def _render(
    funding_request: FundingRequest,
    *,
    status: int = 200,
    errors: dict | None = None,
    forms: dict | None = None,
    approved_raw: dict | None = None,
) -> Any:
    forms = forms or _forms(funding_request)
    criteria = operations.criteria_of(funding_request.program_id)
    scores = operations.scores_of(funding_request.id)
    years = funding_request.fiscal_years
    if approved_raw is None:
        approved_raw = {
            f"approved-{y.fiscal_year.start_year}": _typed(
                y.approved_amount if y.approved_amount is not None else y.requested_amount
            )
            for y in funding_request.years
        }
    history = db.session.scalars(
        db.select(AuditEntry)
        .filter_by(object_type="FundingRequest", object_id=str(funding_request.id))
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    ).all()
    agreement = _agreement_of(funding_request.id)
    return render_template(
        "review/show.html",
        funding_request=funding_request,
        forms=forms,
        errors=errors or {},
        events=allowed_events(funding_request.status),
        Event=RequestEvent,
        criteria=criteria,
        scores=scores,
        weighted=operations.weighted_score(criteria, scores),
        envelope=positions(funding_request.program_id, years) if years else {},
        approved_raw=approved_raw,
        history=history,
        agreement=agreement,
        can_authorize=permissions.can_authorize_for_program(current_user, funding_request.program_id),
    ), status


def _typed(amount: Any) -> str:
    """An amount as an officer would type it (`175000,00`)."""
    return f"{amount:.2f}".replace(".", ",")


def _agreement_of(request_id: int) -> Any:
    from grants.agreements.models import Agreement

    return db.session.execute(db.select(Agreement).filter_by(request_id=request_id)).scalar_one_or_none()


@blueprint.get("/<int:request_id>")
def show(request_id: int) -> Any:
    return _render(_load(request_id))


def _version(form: Any) -> int | None:
    return whole_number(form.version.data)


def _changed_meanwhile(request_id: int) -> Any:
    db.session.rollback()
    flash(
        _(
            "Ce dossier a changé pendant que vous le consultiez (une autre personne a agi). "
            "Voici son état actuel : vérifiez-le avant d'agir de nouveau."
        ),
        "error",
    )
    return _render(_load(request_id), status=409)


def _refused(request_id: int, error: TransitionRefused) -> Any:
    db.session.rollback()
    flash(error.message, "error")
    return _render(_load(request_id), status=409)


@blueprint.post("/<int:request_id>/assigner")
def assign(request_id: int) -> Any:
    funding_request = _load(request_id)
    forms = _forms(funding_request)
    form = forms["assign"]
    if not form.validate():
        return _render(funding_request, status=422, forms=forms)
    assignee = next(
        (u for u in officers_of_program(funding_request.program_id) if u.id == form.assignee_id.data), None
    )
    permissions.ensure(assignee is not None)
    try:
        operations.assign(funding_request, assignee, actor=current_user, expected_version=_version(form))
        db.session.commit()
    except operations.ConcurrentChange:
        return _changed_meanwhile(request_id)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(_("Le dossier est confié à %(name)s.", name=assignee.display_name), "success")
    return redirect(url_for("review.show", request_id=request_id))


@blueprint.post("/<int:request_id>/grille")
def score(request_id: int) -> Any:
    funding_request = _load(request_id)
    from flask_wtf.csrf import validate_csrf

    validate_csrf(request.form.get("csrf_token"))
    entries = {}
    errors = {}
    for criterion in operations.criteria_of(funding_request.program_id):
        raw = (request.form.get(f"score-{criterion.id}") or "").strip()
        score = whole_number(raw)
        if raw and score is None:
            errors[f"score-{criterion.id}"] = _("Note entre 0 et %(max)s.", max=criterion.max_score)
            continue
        entries[criterion.id] = (score, request.form.get(f"comment-{criterion.id}", ""))
    try:
        if errors:
            raise operations.DecisionInvalid(errors)
        operations.save_scores(funding_request, entries, actor=current_user)
        db.session.commit()
    except operations.DecisionInvalid as invalid:
        db.session.rollback()
        return _render(_load(request_id), status=422, errors=invalid.errors)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(_("La grille d'analyse est enregistrée."), "success")
    return redirect(url_for("review.show", request_id=request_id) + "#grille")


@blueprint.post("/<int:request_id>/information")
def ask_info(request_id: int) -> Any:
    funding_request = _load(request_id)
    forms = _forms(funding_request)
    form = forms["info"]
    form.validate()
    try:
        operations.request_info(
            funding_request,
            [RequestSection(s) for s in form.sections.data or [] if s in SECTION_NAMES],
            form.message.data or "",
            actor=current_user,
            expected_version=_version(form),
        )
        db.session.commit()
    except operations.DecisionInvalid as invalid:
        db.session.rollback()
        return _render(_load(request_id), status=422, errors=invalid.errors, forms=forms)
    except operations.ConcurrentChange:
        return _changed_meanwhile(request_id)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(_("La demande d'information est envoyée à l'organisme."), "success")
    return redirect(url_for("review.show", request_id=request_id))


@blueprint.post("/<int:request_id>/recommandation")
def recommend(request_id: int) -> Any:
    funding_request = _load(request_id)
    forms = _forms(funding_request)
    form = forms["recommend"]
    if not form.validate():
        return _render(
            funding_request,
            status=422,
            forms=forms,
            errors={"recommendation": " ".join(map(str, form.recommendation.errors))},
        )
    try:
        operations.recommend(
            funding_request,
            Recommendation(form.recommendation.data),
            form.comment.data or "",
            actor=current_user,
            expected_version=_version(form),
        )
        db.session.commit()
    except operations.ConcurrentChange:
        return _changed_meanwhile(request_id)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(_("La recommandation est enregistrée."), "success")
    return redirect(url_for("review.show", request_id=request_id))


@blueprint.post("/<int:request_id>/rouvrir")
def reopen(request_id: int) -> Any:
    funding_request = _load(request_id)
    from flask_wtf.csrf import validate_csrf

    validate_csrf(request.form.get("csrf_token"))
    version = request.form.get("version", "")
    try:
        operations.reopen_review(funding_request, actor=current_user, expected_version=whole_number(version))
        db.session.commit()
    except operations.ConcurrentChange:
        return _changed_meanwhile(request_id)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(_("L'analyse est rouverte."), "success")
    return redirect(url_for("review.show", request_id=request_id))


@blueprint.post("/<int:request_id>/decision")
def decide(request_id: int) -> Any:
    funding_request = _load(request_id)
    forms = _forms(funding_request)
    form = forms["decision"]
    raw = {
        f"approved-{y.start_year}": request.form.get(f"approved-{y.start_year}", "")
        for y in funding_request.fiscal_years
    }
    if not form.validate():
        return _render(
            funding_request,
            status=422,
            forms=forms,
            approved_raw=raw,
            errors={"decision": " ".join(map(str, form.decision.errors))},
        )
    try:
        if form.decision.data == "approve":
            amounts, errors = {}, {}
            for year in funding_request.fiscal_years:
                amounts[year] = read_amount(raw, f"approved-{year.start_year}", errors)
            if errors:
                raise operations.DecisionInvalid(errors)
            operations.approve(
                funding_request,
                {y: a for y, a in amounts.items() if a is not None},
                form.conditions.data or "",
                actor=current_user,
                override_reason=form.override_reason.data or "",
                expected_version=_version(form),
            )
            message = _("La demande est acceptée ; la convention est envoyée à l'organisme.")
        else:
            operations.refuse(
                funding_request, form.reasons.data or "", actor=current_user, expected_version=_version(form)
            )
            message = _("La demande est refusée ; l'organisme en est informé.")
        db.session.commit()
    except operations.DecisionInvalid as invalid:
        db.session.rollback()
        return _render(_load(request_id), status=422, errors=invalid.errors, forms=forms, approved_raw=raw)
    except EnvelopeExceeded as exceeded:
        db.session.rollback()
        return _render(
            _load(request_id),
            status=422,
            errors={"override_reason": exceeded.message},
            forms=forms,
            approved_raw=raw,
        )
    except operations.ConcurrentChange:
        return _changed_meanwhile(request_id)
    except TransitionRefused as error:
        return _refused(request_id, error)
    flash(message, "success")
    return redirect(url_for("review.show", request_id=request_id))
