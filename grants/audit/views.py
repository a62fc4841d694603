"""The audit trail in words, filterable by object, person, action and period, with its CSV; each
reader sees what their role allows (grants.core.permissions.audit_entries_visible_to)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_, tuple_

from grants.audit.forms import AuditFilterForm
from grants.audit.objects import describe_entries, find_objects, type_label
from grants.core import formatting, permissions
from grants.core.audit import AuditEntry
from grants.core.clock import TIME_ZONE
from grants.core.db import db
from grants.core.listing import RowPage, csv_response
from grants.core.paging import page_number, page_size

blueprint = Blueprint("audit", __name__, url_prefix="/journal")

CSV_HEADER = (
    _l("Quand"),
    _l("Qui"),
    _l("Ce qui s'est passé"),
    _l("Type d'objet"),
    _l("Objet"),
    _l("Changements"),
)


@blueprint.app_template_global("audit_described")
def audit_described(entries: Any) -> list[Any]:
    """For any page that shows a few entries (`audit/_entries.html`): the entries in words."""
    return describe_entries(list(entries), current_user)


def _local_start(day: Any) -> datetime:
    return datetime.combine(day, time(), tzinfo=TIME_ZONE)


def filtered(form: AuditFilterForm) -> Any:
    statement = db.select(AuditEntry).where(permissions.audit_entries_visible_to(current_user))
    object_type, reference = form.value("type"), form.value("ref")
    if reference:
        found = find_objects(object_type, reference)
        if not found:
            statement = statement.where(false())
        else:
            statement = statement.where(tuple_(AuditEntry.object_type, AuditEntry.object_id).in_(found))
    elif object_type:
        statement = statement.where(AuditEntry.object_type == object_type)
    person = form.value("person")
    if person:
        from grants.accounts.models import User

        pattern = "%" + person.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        people = db.select(User.id).where(
            or_(User.full_name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
        statement = statement.where(
            or_(AuditEntry.actor_id.in_(people), AuditEntry.actor_label.ilike(pattern, escape="\\"))
        )
    action = form.value("action")
    if action:
        if action.endswith(".") or "." not in action:
            statement = statement.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            statement = statement.where(AuditEntry.action == action)
    since, until = form.value("since"), form.value("until")
    if since:
        statement = statement.where(AuditEntry.occurred_at >= _local_start(since))
    if until:
        statement = statement.where(AuditEntry.occurred_at < _local_start(until + timedelta(days=1)))
    return statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())


@blueprint.get("/")
@permissions.require(permissions.can_read_audit_trail)
def index() -> Any:
    visible = permissions.audit_entries_visible_to(current_user)
    actions = db.session.scalars(db.select(AuditEntry.action).where(visible).distinct()).all()
    form = AuditFilterForm(formdata=request.args, actions=actions)
    form.validate()
    statement = filtered(form)
    if request.args.get("format") == "csv":
        return _csv(statement)
    page = _page(statement)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        described=describe_entries(page.items, current_user),
        sees_everything=permissions.is_admin(current_user),
        is_staff_reader=permissions.is_staff(current_user),
    )


def _page(statement: Any) -> RowPage:
    from sqlalchemy import func, select

    per_page = page_size()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = min(page_number(), max(1, -(-total // per_page)))
    items = db.session.scalars(statement.limit(per_page).offset((number - 1) * per_page)).all()
    return RowPage(items=list(items), page=number, per_page=per_page, total=total)


def _csv(statement: Any) -> Any:
    def rows() -> Any:
        batch: list[AuditEntry] = []
        for entry in db.session.scalars(statement.execution_options(yield_per=500)):
            batch.append(entry)
            if len(batch) == 500:
                yield from describe_entries(batch, current_user)
                batch = []
        if batch:
            yield from describe_entries(batch, current_user)

    return csv_response(
        "journal.csv",
        [str(title) for title in CSV_HEADER],
        rows(),
        lambda d: [
            formatting.date_time(d.occurred_at),
            d.actor,
            d.sentence,
            type_label(d.entry.object_type),
            d.obj.text,
            d.changes_text,
        ],
    )
