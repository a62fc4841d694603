"""The append-only audit trail: who did what to which object, when, and what changed.

Every state change of the product calls `record()` inside the same transaction as the change,
so the entry and the change land together or not at all. Each entry also names the organization
and the program its object belongs to, when it has them: who may read an entry is decided from
those two (grants.core.permissions.audit_entries_visible_to). Entries are never updated or deleted:
the ORM refuses it here, and PostgreSQL refuses it with a trigger (see the first migration).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from grants.core.db import UTCDateTime, db, utcnow
from grants.fiscal import FiscalYear


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_organization", "organization_id", "occurred_at"),
        Index("ix_audit_entries_program", "program_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(255), default="system")
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(80))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}:{self.object_id}>"


def _plain(value: Any) -> Any:
    """Make a value JSON-safe without losing what it means (Decimal as text, dates as ISO)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FiscalYear):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def values_of(obj: Any, *names: str) -> dict[str, Any]:
    """`{name: obj.<name>}` for the plain attributes an audit snapshot keeps as they are."""
    return {name: getattr(obj, name) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    organization_id: int | None = None,
    program_id: int | None = None,
) -> AuditEntry:
    """Write one entry in the current transaction (flushed, not committed).

    `obj` names the object (its class name and primary key) unless `object_type` and
    `object_id` are given; `actor` is the user who acted (None for the system). The organization
    and the program come from the object's `organization_id` and `program_id` unless given.
    """
    if obj is not None:
        if obj in db.session:
            db.session.flush()
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if organization_id is None:
            organization_id = getattr(obj, "organization_id", None)
        if program_id is None:
            program_id = getattr(obj, "program_id", None)
    entry = AuditEntry(
        action=action,
        object_type=object_type or "",
        object_id=str(object_id) if object_id is not None else "",
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        organization_id=organization_id,
        program_id=program_id,
        changes=_plain(changes or {}),
        ip_address=client_ip(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_created(
    action: str, obj: Any, *, actor: Any = None, changes: dict[str, Any] | None = None, subject: Any = None
) -> AuditEntry:
    """Add the new `obj` to the session, flush it (it gets its id) and audit its creation, on
    `subject` when the trail belongs to another object (a role granted is in the user's history)."""
    db.session.add(obj)
    db.session.flush()
    return record(action, obj if subject is None else subject, actor=actor, changes=changes)


def record_change(
    action: str, obj: Any, field: str, value: Any, *, actor: Any = None, context: dict[str, Any] | None = None
) -> bool:
    """Set `obj.<field>` to `value` and audit it as `{field: [before, after]}` (with `context`), only
    when it differs. Says whether it did."""
    before = getattr(obj, field)
    if before == value:
        return False
    record(action, obj, actor=actor, changes={**(context or {}), field: [before, value]})
    setattr(obj, field, value)
    return True


def record_many(action: str, entries: list[dict[str, Any]], *, actor: Any = None) -> int:
    """`record()` for many objects at once (one INSERT): each entry gives `object_type`,
    `object_id`, optional `organization_id`, `program_id` and `changes`. Used by bulk operations
    such as a yearly indexation of thousands of grants."""
    if not entries:
        return 0
    now, ip = utcnow(), client_ip()
    rows = [
        {
            "occurred_at": now,
            "action": action,
            "object_type": entry["object_type"],
            "object_id": str(entry["object_id"]),
            "organization_id": entry.get("organization_id"),
            "program_id": entry.get("program_id"),
            "actor_id": getattr(actor, "id", None),
            "actor_label": getattr(actor, "email", None) or "system",
            "changes": _plain(entry.get("changes") or {}),
            "ip_address": ip,
        }
        for entry in entries
    ]
    db.session.execute(db.insert(AuditEntry), rows)
    return len(rows)


def record_apart(
    connection: Any, action: str, *, object_type: str, object_id: Any, changes: dict[str, Any]
) -> None:
    """`record()` on a connection of its own, committed with it and not with the session: for a
    fact that must outlive the rollback of the work it describes (a background job that failed)."""
    connection.execute(
        AuditEntry.__table__.insert().values(
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            actor_label="system",
            changes=_plain(changes),
            occurred_at=utcnow(),
        )
    )


def client_ip() -> str | None:
    from flask import has_request_context, request

    if has_request_context():
        return request.remote_addr
    return None


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise PermissionError("the audit trail is append-only")


def json_changes(**values: Any) -> Any:
    """A JSON object built by the database, for the `changes` of `record_from_select`: each value
    a column expression, or a tuple of them (a JSON array, e.g. an amount before and after)."""
    from sqlalchemy import func, literal

    if db.session.get_bind().dialect.name == "postgresql":
        build_object, build_array = func.json_build_object, func.json_build_array
    else:
        build_object, build_array = func.json_object, func.json_array
    arguments: list[Any] = []
    for key, value in values.items():
        arguments += [literal(key, String), build_array(*value) if isinstance(value, tuple) else value]
    return build_object(*arguments)


def record_from_select(action: str, rows: Any, *, actor: Any = None) -> None:
    """`record_many()` computed by the database: one INSERT … SELECT, so 10 000 entries (a yearly
    indexation) stay one statement. `rows` selects, labelled so, `object_type`, `object_id`,
    `organization_id`, `program_id` and `changes` (JSON, see `json_changes`)."""
    from sqlalchemy import Integer, literal

    source = rows.subquery()
    entries = db.select(
        literal(utcnow(), UTCDateTime),
        literal(getattr(actor, "id", None), Integer),
        literal(getattr(actor, "email", None) or "system", String),
        literal(action, String),
        source.c.object_type,
        source.c.object_id,
        source.c.organization_id,
        source.c.program_id,
        source.c.changes,
        literal(client_ip(), String),
    )
    columns = [
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "organization_id",
        "program_id",
        "changes",
        "ip_address",
    ]
    db.session.execute(db.insert(AuditEntry.__table__).from_select(columns, entries))
