"""The audit trail, readable by ministry staff, filterable by object and action."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from grants.core import permissions
from grants.core.audit import AuditEntry
from grants.core.db import db

blueprint = Blueprint("audit", __name__, url_prefix="/journal")


@blueprint.get("/")
@permissions.require_staff()
def index() -> Any:
    object_type = request.args.get("type") or ""
    object_id = request.args.get("id") or ""
    action = request.args.get("action") or ""
    statement = db.select(AuditEntry).order_by(AuditEntry.id.desc())
    if object_type:
        statement = statement.where(AuditEntry.object_type == object_type)
    if object_id:
        statement = statement.where(AuditEntry.object_id == object_id)
    if action:
        statement = statement.where(AuditEntry.action.startswith(action))
    page = db.paginate(statement, per_page=50, error_out=False)
    return render_template(
        "audit/index.html", page=page, object_type=object_type, object_id=object_id, action=action
    )
