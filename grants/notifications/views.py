"""What was sent to whom: the outbox, for the system administrators (it holds every program's
messages, with their contents)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from grants.core import permissions
from grants.core.db import db
from grants.notifications.models import EmailStatus, OutboundEmail
from grants.notifications.operations import content, is_written

blueprint = Blueprint("notifications", __name__, url_prefix="/courriels")


@blueprint.get("/")
@permissions.require(permissions.can_read_outbox)
def index() -> Any:
    status = request.args.get("statut") or ""
    address = (request.args.get("destinataire") or "").strip().lower()
    statement = db.select(OutboundEmail).order_by(OutboundEmail.id.desc())
    if status in {s.value for s in EmailStatus}:
        statement = statement.where(OutboundEmail.status == status)
    if address:
        statement = statement.where(OutboundEmail.to_address.contains(address))
    page = db.paginate(statement, per_page=50, error_out=False)
    # A message written at delivery (a reminder) shows the subject it will have (or would have had).
    subjects = {m.id: m.subject if is_written(m) else content(m).subject for m in page.items}
    return render_template(
        "notifications/index.html",
        page=page,
        subjects=subjects,
        status=status,
        address=address,
        statuses=EmailStatus,
    )


@blueprint.get("/<int:message_id>")
@permissions.require(permissions.can_read_outbox)
def show(message_id: int) -> Any:
    message = db.session.get(OutboundEmail, message_id)
    permissions.ensure(message is not None)
    return render_template(
        "notifications/show.html", message=message, content=content(message), written=is_written(message)
    )
