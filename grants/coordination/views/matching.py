"""The organizations as the last matching run grouped them, and the cell's word on them.

`/cellule/organismes/`: the groups, those of several records first, searchable, paged, in CSV
(one line per member, with its reasons in words). `/cellule/organismes/<id>`: a group's members
with their scores and reasons, and the two forms — confirm (the group, or the group and another)
and split (chosen members from the rest) — whose decisions are kept on party keys and reused by
every later run; each starts a new run in the background.

A group keeps its id across runs while it descends from the same group (`group_ids`); the page of
a group a run split or merged away (retired) says so and links to the groups its former members
are in now, and a form posted from it acts on nothing (410 for the page, 409 for a form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, exists, func, or_, select

from grants.coordination import explain, group_ids, matching_run
from grants.coordination.decision_forms import ConfirmForm, SplitForm
from grants.coordination.decisions import DifferentNeqs, decide_parties
from grants.coordination.models import EntityMember, MatchedEntity
from grants.coordination.views import blueprint
from grants.core.db import db
from grants.core.fields import input_errors
from grants.core.listing import QueryFilters, SortSpec, csv_response, paginate_rows
from grants.core.permissions import found

CONFIRM_SIDE_MAX = 25  # members of each side a confirmation of two groups pairs up

SORT = SortSpec(
    columns={
        "members": MatchedEntity.member_count,
        "label": func.lower(MatchedEntity.label),
        "neq": MatchedEntity.neq,
    },
    default="-members",
)

CSV_HEADER = (
    _l("Groupe"),
    _l("Organisme"),
    _l("NEQ du groupe"),
    _l("Membre"),
    _l("Nom inscrit"),
    _l("NEQ"),
    _l("Ville"),
    _l("Région"),
    _l("Score"),
    _l("Raisons"),
)


@dataclass
class EntityFilters(QueryFilters):
    q: str = ""
    scope: str = ""  # "" = all (groups of several records first); "several"; "ours" (one of ours)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement(filters: EntityFilters) -> Any:
    statement = select(
        MatchedEntity.id,
        MatchedEntity.label,
        MatchedEntity.neq,
        MatchedEntity.organization_id,
        MatchedEntity.member_count,
    ).where(MatchedEntity.retired_at.is_(None))
    if filters.scope == "ours":
        statement = statement.where(MatchedEntity.organization_id.is_not(None))
    elif filters.scope == "several":
        statement = statement.where(MatchedEntity.member_count > 1)
    if filters.q:
        pattern = f"%{_like(filters.q)}%"
        statement = statement.where(
            or_(
                MatchedEntity.label.ilike(pattern, escape="\\"),
                MatchedEntity.neq == filters.q.replace(" ", ""),
                exists().where(
                    EntityMember.entity_id == MatchedEntity.id,
                    or_(
                        EntityMember.name.ilike(pattern, escape="\\"),
                        EntityMember.city.ilike(pattern, escape="\\"),
                    ),
                ),
            )
        )
    several = case((MatchedEntity.member_count > 1, 0), else_=1)
    return statement.order_by(several, *_sort_clause())


def _sort_clause() -> list[Any]:
    key = SORT.current()
    column = SORT.columns[key.lstrip("-")]
    return [column.desc() if key.startswith("-") else column.asc(), MatchedEntity.id]


@blueprint.get("/organismes/")
def entities() -> Any:
    filters = EntityFilters.from_args(request.args)
    statement = _statement(filters)
    if request.args.get("format") == "csv":
        members = (
            select(
                MatchedEntity.id.label("entity_id"),
                MatchedEntity.label,
                MatchedEntity.neq.label("entity_neq"),
                EntityMember.party_key,
                EntityMember.name,
                EntityMember.neq,
                EntityMember.city,
                EntityMember.region,
                EntityMember.score,
                EntityMember.reasons,
            )
            .join(EntityMember, EntityMember.entity_id == MatchedEntity.id)
            .where(MatchedEntity.id.in_(statement.with_only_columns(MatchedEntity.id).order_by(None)))
            .order_by(MatchedEntity.id, EntityMember.id)
        )
        return csv_response(
            "organismes-rapproches.csv",
            [str(title) for title in CSV_HEADER],
            db.session.execute(members).yield_per(1000),
            lambda r: [
                r.entity_id,
                r.label,
                r.entity_neq,
                r.party_key,
                r.name,
                r.neq,
                r.city,
                r.region,
                r.score,
                explain.link_reasons(r.reasons, r.score),
            ],
        )
    job = matching_run.latest_job()
    return render_template(
        "coordination/entities.html",
        page=paginate_rows(statement),
        filters=filters,
        sort=SORT.current(),
        job=job,
        # A run outside the background jobs (the command, an import's load) leaves no job.
        matched_at=db.session.scalar(
            select(func.max(MatchedEntity.computed_at)).where(MatchedEntity.retired_at.is_(None))
        ),
        refresh=bool(job and job.is_active),
    )


@blueprint.post("/organismes/actualiser")
def refresh_entities() -> Any:
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        flash(_("Le formulaire a expiré. Envoyez-le de nouveau."), "error")
        return redirect(url_for("coordination.entities"), 303)
    matching_run.queue_refresh(current_user)
    flash(
        _("Les rapprochements sont recalculés en arrière-plan ; cette page se met à jour d'elle-même."),
        "success",
    )
    return redirect(url_for("coordination.entities"), 303)


def _entity(entity_id: int) -> MatchedEntity:
    """The group of this id, current or retired; 404 for an id no group ever had."""
    return found(db.session.get(MatchedEntity, entity_id))


def _group_changed() -> Any:
    """A form sent against a number no group has any more (a page opened before migration 0010,
    when every run rebuilt the groups under new numbers). Nothing is recorded; the list says so,
    rather than a bare « page not found »."""
    flash(
        _(
            "Ce groupe a été recalculé depuis l'ouverture de la page : rien n'a été enregistré. "
            "Retrouvez l'organisme dans la liste et décidez de nouveau."
        ),
        "error",
    )
    return redirect(url_for("coordination.entities"), 303)


def _retired(entity: MatchedEntity, *, posted: bool) -> Any:
    """The page of a group a run split or merged away: where its former members are now. A form
    posted against it changed nothing (409); the page itself is gone (410)."""
    return render_template(
        "coordination/entity_retired.html",
        entity=entity,
        successors=group_ids.successors(entity),
        former=group_ids.former_member_count(entity),
        posted=posted,
    ), (409 if posted else 410)


def _anchor(entity: MatchedEntity) -> EntityMember:
    """The party the others' scores are measured against (our organization, or the first)."""
    return next((m for m in entity.members if not m.reasons), entity.members[0])


def _split_form(entity: MatchedEntity, **kwargs: Any) -> SplitForm:
    form = SplitForm(prefix="split", **kwargs)
    form.members.choices = [(m.id, f"{m.name} ({m.party_key})") for m in entity.members]
    return form


def _render(
    entity: MatchedEntity,
    *,
    confirm: ConfirmForm | None = None,
    split: SplitForm | None = None,
    status: int = 200,
) -> Any:
    confirm = confirm or ConfirmForm(prefix="confirm", formdata=None)
    split = split or _split_form(entity, formdata=None)
    errors = {**input_errors(confirm), **input_errors(split)}
    return render_template(
        "coordination/entity.html",
        entity=entity,
        anchor=_anchor(entity) if entity.members else None,
        confirm=confirm,
        split=split,
        errors=errors,
        reasons=explain.link_reasons,
        job=matching_run.latest_job(),
    ), status


@blueprint.get("/organismes/<int:entity_id>")
def entity(entity_id: int) -> Any:
    entity = _entity(entity_id)
    if entity.retired_at is not None:
        return _retired(entity, posted=False)
    return _render(entity)


@blueprint.post("/organismes/<int:entity_id>/confirmer")
def confirm_entity(entity_id: int) -> Any:
    entity = db.session.get(MatchedEntity, entity_id)
    if entity is None:
        return _group_changed()
    if entity.retired_at is not None:
        return _retired(entity, posted=True)
    form = ConfirmForm(prefix="confirm")
    if not form.validate() or not entity.members:
        return _render(entity, confirm=form, status=422)
    if form.other.data is not None:
        other = db.session.get(MatchedEntity, form.other.data)
        if other is None or other.id == entity.id:
            form.other.errors = [_("Aucun autre groupe ne porte ce numéro.")]
            return _render(entity, confirm=form, status=422)
        if other.retired_at is not None:
            form.other.errors = [
                _(
                    "Le groupe %(n)s a changé depuis : ses membres sont maintenant dans d'autres groupes. "
                    "Ouvrez sa page pour voir lesquels.",
                    n=other.id,
                )
            ]
            return _render(entity, confirm=form, status=422)
        first = sorted(entity.members, key=lambda m: (m.reasons != 0, m.id))[:CONFIRM_SIDE_MAX]
        second = sorted(other.members, key=lambda m: (m.reasons != 0, m.id))[:CONFIRM_SIDE_MAX]
    else:
        anchor = _anchor(entity)
        first, second = [anchor], [m for m in entity.members if m.id != anchor.id]
    try:
        decide_parties(first, second, same=True, comment=form.comment.data or "", actor=current_user)
    except DifferentNeqs as neqs:
        db.session.rollback()
        form.other.errors = [
            _("Deux NEQ différents (%(neqs)s) ne désignent jamais le même organisme.", neqs=str(neqs))
        ]
        return _render(_entity(entity_id), confirm=form, status=422)
    matching_run.queue_refresh(current_user)
    flash(
        _("Décision enregistrée : même organisme. Les rapprochements sont recalculés en arrière-plan."),
        "success",
    )
    return redirect(url_for("coordination.entities"), 303)


@blueprint.post("/organismes/<int:entity_id>/separer")
def split_entity(entity_id: int) -> Any:
    entity = db.session.get(MatchedEntity, entity_id)
    if entity is None:
        return _group_changed()
    if entity.retired_at is not None:
        return _retired(entity, posted=True)
    form = _split_form(entity)
    if not form.validate():
        return _render(entity, split=form, status=422)
    chosen = set(form.members.data or [])
    apart = [m for m in entity.members if m.id in chosen]
    rest = [m for m in entity.members if m.id not in chosen]
    if not rest:
        form.members.errors = [_("Laissez au moins un membre dans le groupe.")]
        return _render(entity, split=form, status=422)
    if not decide_parties(apart, rest, same=False, comment=form.comment.data or "", actor=current_user):
        form.members.errors = [_("Même nom, même NEQ et même ville : rien ne distingue ces enregistrements.")]
        return _render(entity, split=form, status=422)
    matching_run.queue_refresh(current_user)
    flash(
        _("Décision enregistrée : organismes distincts. Les rapprochements sont recalculés en arrière-plan."),
        "success",
    )
    return redirect(url_for("coordination.entities"), 303)
