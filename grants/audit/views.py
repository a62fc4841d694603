"""The audit trail, filterable by object and action; each reader sees what their role allows
(grants.core.permissions.audit_entries_visible_to)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from grants.core import permissions
from grants.core.audit import AuditEntry
from grants.core.db import db

blueprint = Blueprint("audit", __name__, url_prefix="/journal")


@blueprint.get("/")
@permissions.require(permissions.can_read_audit_trail)
def index() -> Any:
    object_type = request.args.get("type") or ""
    object_id = request.args.get("id") or ""
    action = request.args.get("action") or ""
    statement = (
        db.select(AuditEntry)
        .where(permissions.audit_entries_visible_to(current_user))
        .order_by(AuditEntry.id.desc())
    )
    if object_type:
        statement = statement.where(AuditEntry.object_type == object_type)
    if object_id:
        statement = statement.where(AuditEntry.object_id == object_id)
    if action:
        statement = statement.where(AuditEntry.action.startswith(action, autoescape=True))
    page = db.paginate(statement, per_page=50, error_out=False)
    return render_template(
        "audit/index.html",
        page=page,
        object_type=object_type,
        object_id=object_id,
        action=action,
        sees_everything=permissions.is_admin(current_user),
        is_staff_reader=permissions.is_staff(current_user),
    )
